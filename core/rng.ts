/**
 * Seeded randomness. A run has one root seed; every consumer draws from a named stream derived
 * from it (`split`, `init`, `shuffle`, `augment`, `dropout`, ...), so adding a draw in one place
 * never shifts the numbers another place sees. Streams are seedrandom's Alea generator keyed by
 * the string `xfer/<root>/<name>[/<part>...]`, identical on every platform and runtime.
 */
import seedrandom from "seedrandom";

export class Rng {
  readonly #next: () => number;
  constructor(readonly key: string) {
    this.#next = seedrandom.alea(key);
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
}
