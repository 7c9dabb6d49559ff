/**
 * `xfer results` never puts runs of different seeds (or backends) in one table: it refuses,
 * listing the groups it found, and `--seed` / `--backend` pick one. As a process, as users run it.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TINY_RECIPE, xfer } from "./helpers.ts";

describe("xfer results groups runs by seed and backend", () => {
  it("refuses a mix of seeds, lists the groups, and writes the table of the seed picked", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-groups-"));
    for (const seed of ["1", "2"]) expect((await xfer(["run", TINY_RECIPE, "--out", out, "--backend", "cpu", "--seed", seed])).status).toBe(0);
    const csv = join(out, "table.csv");

    const mixed = await xfer(["results", TINY_RECIPE, "--out", out, "--csv", csv]);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain("the stored runs mix 2 (seed, backend) groups, which one table must not: seed 1, backend cpu: 3 run(s); seed 2, backend cpu: 3 run(s); pick one with --seed N");
    expect(existsSync(csv)).toBe(false);

    const picked = await xfer(["results", TINY_RECIPE, "--out", out, "--csv", csv, "--seed", "2"]);
    expect(picked.status, picked.stderr).toBe(0);
    expect(picked.stdout).toContain("best of 3 run(s)");
    expect(readFileSync(csv, "utf8")).toMatch(/^model,params,log10_params,synthetic\n/);

    const none = await xfer(["results", TINY_RECIPE, "--out", out, "--csv", csv, "--backend", "wasm"]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("no stored run has backend wasm; the runs found are: seed 1, backend cpu: 3 run(s); seed 2, backend cpu: 3 run(s)");
  }, 120_000);
});
