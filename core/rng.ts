/**
 * Seeded randomness. A run has one root seed; every consumer draws from a named stream derived
 * from it (`split`, `init`, `shuffle`, `augment`, `dropout`, ...), so adding a draw in one place
 * never shifts the numbers another place sees. Streams are seedrandom's Alea generator keyed by
 * the string `xfer/<root>/<name>[/<part>...]`, identical on every platform and runtime. A stream's
 * position can be saved and restored, so a resumed run draws on where it stopped (docs/determinism.md).
 */
import seedrandom from "seedrandom";
import { XferError } from "./errors.ts";

/** Where a stream is: Alea's whole state, plain numbers that survive JSON exactly. */
export interface RngPosition {
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
}

export class Rng {
  #prng: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  readonly #next = () => this.#prng();
  constructor(readonly key: string) {
    // `state: true` only adds the state() accessor: the draws are those of plain alea(key).
    this.#prng = seedrandom.alea(key, { state: true });
  }
  /** The stream's position: `seek(position())` later makes the same draws follow. */
  position(): RngPosition {
    const { c, s0, s1, s2 } = this.#prng.state();
    return { c, s0, s1, s2 };
  }
  /** Moves the stream to a position `position()` gave (possibly in another process). */
  seek(position: RngPosition): void {
    const { c, s0, s1, s2 } = position;
    if (![c, s0, s1, s2].every(Number.isFinite)) throw new RangeError(`Rng ${this.key}: a position needs finite c, s0, s1, s2, got ${JSON.stringify(position)}`);
    this.#prng = seedrandom.alea("", { state: { c, s0, s1, s2 } });
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return this.#next();
  }
  /** Uniform in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.#next();
  }
  /** Integer uniform in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.#next() * n);
  }
  /** Standard normal by Box-Muller. */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.#next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.#next());
  }
  /** A new array, Fisher-Yates shuffled. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
  /** A 32-bit unsigned integer, for seeding libraries that take a number. */
  uint32(): number {
    return Math.floor(this.#next() * 4294967296) >>> 0;
  }
}

export class SeedTree {
  /** Run-long streams by key: their positions are part of a run's resume state. */
  readonly #runLong = new Map<string, Rng[]>();
  constructor(readonly root: number) {
    if (!Number.isSafeInteger(root) || root < 0) throw new RangeError(`seed must be a non-negative integer, got ${root}`);
  }
  key(name: string, ...parts: (string | number)[]): string {
    return ["xfer", this.root, name, ...parts].join("/");
  }
  /** The named stream; extra parts key it further, e.g. ("augment", epoch, sampleId). */
  stream(name: string, ...parts: (string | number)[]): Rng {
    return new Rng(this.key(name, ...parts));
  }
  /**
   * A stream drawn from across a whole run (a backbone's `dropout`), unlike the streams keyed by
   * epoch, step or sample, which start afresh wherever a resumed run picks up: the tree keeps it so
   * `positions()` can save where it is.
   */
  runStream(name: string, ...parts: (string | number)[]): Rng {
    const rng = new Rng(this.key(name, ...parts));
    this.#runLong.set(rng.key, [...(this.#runLong.get(rng.key) ?? []), rng]);
    return rng;
  }
  /** Every run-long stream's position, by key. */
  positions(): Record<string, RngPosition> {
    return Object.fromEntries([...this.#runLong.keys()].map((key) => [key, this.#single(key).position()]));
  }
  /** Moves each run-long stream to its saved position; the saved keys must be exactly this tree's run-long streams. */
  restorePositions(positions: Readonly<Record<string, RngPosition>>, where: string): void {
    const saved = Object.keys(positions);
    const unknown = saved.filter((key) => !this.#runLong.has(key));
    const missing = [...this.#runLong.keys()].filter((key) => !Object.hasOwn(positions, key));
    if (unknown.length > 0 || missing.length > 0) {
      throw new XferError(
        `${where}: saved random stream positions do not match the run's streams`
        + `${unknown.length ? `; saved but not used by this run: ${unknown.join(", ")}` : ""}${missing.length ? `; used but not saved: ${missing.join(", ")}` : ""}`,
      );
    }
    for (const key of saved) this.#single(key).seek(positions[key]);
  }
  /** Two users of one key (two backbones built from one tree) would leave its position ambiguous. */
  #single(key: string): Rng {
    const users = this.#runLong.get(key)!;
    if (users.length > 1) throw new XferError(`random stream ${key} was handed out ${users.length} times in one run, so it has no single position to save or restore`);
    return users[0];
  }
}
