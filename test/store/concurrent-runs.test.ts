/**
 * Two `xfer run` processes side by side on one --out, one on wasm and one on cpu (so their
 * numbers differ): each attempt writes only its own folder, every run is published exactly once
 * and stays self-consistent (result, checkpoint hash, environment and epochs of one attempt), and
 * every result computed but not published is reported by the process that computed it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRunFolders } from "./run-folders.ts";
import { TINY_RECIPE, xfer } from "./helpers.ts";

describe("concurrent writers on one run store", () => {
  it("never mixes attempts and publishes each run once, reporting the discarded results", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-concurrent-"));
    const [wasm, cpu] = await Promise.all(["wasm", "cpu"].map((backend) => xfer(["run", TINY_RECIPE, "--out", out, "--backend", backend])));
    expect(wasm.status, wasm.stderr).toBe(0);
    expect(cpu.status, cpu.stderr).toBe(0);

    const { published, unpublished } = checkRunFolders(join(out, "three-tiny-runs"));
    expect(published.size).toBe(3);
    // Both start on the same first run, so at least one run is finished twice.
    expect(unpublished.length).toBeGreaterThan(0);
    const stderr = wasm.stderr + cpu.stderr;
    for (const { id, attempt } of unpublished) {
      expect(stderr).toContain(`run ${id} was finished by two attempts: kept ${published.get(id)!.attempt} (published first), discarded ${attempt} `);
    }
    // Each process counts what it trained; together: the 3 published plus the discarded ones.
    const trained = (text: string) => Number(/(\d+) trained/.exec(text)![1]);
    const discarded = (text: string) => Number(/(\d+) discarded/.exec(text)?.[1] ?? 0);
    expect(trained(wasm.stdout) + trained(cpu.stdout)).toBe(3 + unpublished.length);
    expect(discarded(wasm.stdout) + discarded(cpu.stdout)).toBe(unpublished.length);
  }, 120_000);
});
