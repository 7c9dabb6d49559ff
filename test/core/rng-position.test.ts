/**
 * Random stream positions: a stream's position saved (through JSON, as a resume state holds it)
 * and restored gives the same following draws; the draws themselves are Alea's, unchanged; a run's
 * SeedTree saves and restores the positions of exactly its run-long streams.
 */
import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { Rng, SeedTree } from "../../core/rng.ts";

const draws = (rng: Rng, n: number) => [rng.uniform(), rng.normal(), ...Array.from({ length: n }, () => rng.int(1000)), rng.uint32()];

describe("Rng positions", () => {
  it("draws what plain Alea draws for the key (adding positions moved no stream)", () => {
    const plain = seedrandom.alea("xfer/3/dropout/x");
    const rng = new SeedTree(3).runStream("dropout", "x");
    expect(Array.from({ length: 50 }, () => rng.uniform())).toEqual(Array.from({ length: 50 }, () => plain()));
    expect(new SeedTree(3).stream("dropout", "x").uniform()).toBe(seedrandom.alea("xfer/3/dropout/x")());
  });

  it("a position restored in a new stream (after JSON) gives the same following draws", () => {
    const a = new Rng("k");
    draws(a, 17);
    const saved = JSON.parse(JSON.stringify(a.position()));
    const expected = draws(a, 40);
    const b = new Rng("k");
    b.seek(saved);
    expect(draws(b, 40)).toEqual(expected);
    // Seeking back replays, also on the stream that moved on.
    a.seek(saved);
    expect(draws(a, 40)).toEqual(expected);
  });

  it("refuses a position that is not one", () => {
    expect(() => new Rng("k").seek({ c: 1, s0: NaN, s1: 0, s2: 0 })).toThrow(/Rng k: a position needs finite c, s0, s1, s2/);
  });
});

describe("SeedTree run-long streams", () => {
  it("saves and restores the positions of the run-long streams it handed out", () => {
    const tree = new SeedTree(1);
    const dropout = tree.runStream("dropout", "net");
    tree.stream("shuffle", 0).uniform(); // keyed streams are not tracked
    draws(dropout, 9);
    const positions = JSON.parse(JSON.stringify(tree.positions()));
    expect(Object.keys(positions)).toEqual(["xfer/1/dropout/net"]);
    const expected = draws(dropout, 20);

    const fresh = new SeedTree(1);
    const again = fresh.runStream("dropout", "net");
    fresh.restorePositions(positions, "resume.safetensors");
    expect(draws(again, 20)).toEqual(expected);
  });

  it("errors name unknown and unsaved streams, and a stream handed out twice", () => {
    const tree = new SeedTree(1);
    tree.runStream("dropout", "a");
    const position = new Rng("x").position();
    expect(() => tree.restorePositions({ "xfer/1/dropout/b": position }, "r.safetensors")).toThrow(
      /^r.safetensors: saved random stream positions do not match the run's streams; saved but not used by this run: xfer\/1\/dropout\/b; used but not saved: xfer\/1\/dropout\/a$/,
    );
    tree.runStream("dropout", "a");
    expect(() => tree.positions()).toThrow(/random stream xfer\/1\/dropout\/a was handed out 2 times in one run/);
    expect(() => tree.restorePositions({ "xfer/1/dropout/a": position }, "r")).toThrow(/handed out 2 times/);
  });
});
