/**
 * Stored files are validated when read back: a truncated, garbage or foreign result.json, or a
 * checkpoint whose bytes changed, makes its run "not done": reported with its path, kept aside
 * (renamed, never deleted) and trained again, while the sweep goes on. Temp files a killed xfer
 * left are removed on the next run; files xfer did not write are not touched. All through the CLI.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { flippedByte, garbage, NOT_A_RESULT, truncated } from "../../fixtures/generators/damaged-run-files.ts";
import { checkRunFolders } from "./run-folders.ts";
import { deadPid, HOST, TINY_RECIPE, xfer } from "./helpers.ts";

describe("damaged run folders", () => {
  it("reports each damaged run with its path, keeps it aside, trains it again and cleans only xfer's own leftover temp files", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-damaged-"));
    const dir = join(out, "three-tiny-runs");
    const args = ["run", TINY_RECIPE, "--out", out, "--backend", "cpu"];
    expect((await xfer(args)).status).toBe(0);
    const ids = [...checkRunFolders(dir).published.keys()].sort();
    expect(ids).toHaveLength(3);

    const original = readFileSync(join(dir, ids[0], "result.json"), "utf8");
    const damage = [truncated(original, "a"), garbage(300, "b"), NOT_A_RESULT];
    ids.forEach((id, i) => writeFileSync(join(dir, id, "result.json"), damage[i]));
    const pid = deadPid();
    const [attempt] = readdirSync(join(dir, ids[0], "attempts"));
    const leftovers = [join(dir, ids[0], `result.json.${HOST}.${pid}.0badc0de.tmp`), join(dir, ids[0], "attempts", attempt, `best.safetensors.${HOST}.${pid}.12345678.tmp`)];
    const foreign = [join(dir, ids[0], "notes.tmp"), join(dir, ids[0], `result.json.another-host.${pid}.deadbeef.tmp`)];
    for (const file of [...leftovers, ...foreign]) writeFileSync(file, "x");

    const second = await xfer(args);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain("3 trained, 0 already done, 3 damaged and kept aside");
    for (const [i, id] of ids.entries()) {
      expect(second.stderr).toContain(`run ${id} is damaged and will be trained again: ${join(dir, id, "result.json")}: `);
      const aside = readdirSync(join(dir, id)).filter((n) => /^result\.damaged-\d{8}T\d{6}Z-[0-9a-f]{4}\.json$/.test(n));
      expect(aside, id).toHaveLength(1);
      expect(readFileSync(join(dir, id, aside[0]))).toEqual(Buffer.from(damage[i]));
    }
    expect(second.stderr).toMatch(/not JSON/);
    expect(second.stderr).toMatch(/hash: Invalid input/);
    expect(checkRunFolders(dir).published.size).toBe(3);
    for (const file of leftovers) expect(existsSync(file), file).toBe(false);
    for (const file of foreign) expect(existsSync(file), file).toBe(true);

    // One flipped bit in a published checkpoint: the run is not done any more.
    const victim = checkRunFolders(dir).published.get(ids[1])!;
    const checkpointFile = join(dir, ids[1], victim.checkpoint!.path);
    const flipped = flippedByte(readFileSync(checkpointFile), "c").bytes;
    writeFileSync(checkpointFile, flipped);
    const third = await xfer(args);
    expect(third.status, third.stderr).toBe(0);
    expect(third.stdout).toContain("1 trained, 2 already done, 1 damaged and kept aside");
    expect(third.stderr).toContain(`run ${ids[1]} is damaged and will be trained again: ${checkpointFile}: SHA-256 `);
    expect(readFileSync(checkpointFile)).toEqual(Buffer.from(flipped)); // evidence kept in its attempt folder
    const again = checkRunFolders(dir).published.get(ids[1])!;
    expect(again.attempt).not.toBe(victim.attempt);
    expect(again.checkpoint!.sha256).toBe(victim.checkpoint!.sha256); // retrained to the same bits
  }, 120_000);
});
