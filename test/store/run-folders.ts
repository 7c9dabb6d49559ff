/**
 * Checks that every run folder under a recipe's output is self-consistent, from the files alone:
 * the published result is valid, is one attempt's own result (the same file, hard-linked), names
 * that attempt's checkpoint by its true SHA-256 and that attempt's environment and epochs; every
 * attempt's epochs are in order without duplicates. Returns who published what, and the results
 * computed but not published.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { parseEnvironment, parseEpochLines, parseResult, type RunResult } from "../../core/index.ts";

export interface RunFolderSummary {
  /** run id -> the published result. */
  readonly published: Map<string, RunResult>;
  /** Results that attempts wrote but did not publish. */
  readonly unpublished: { id: string; attempt: string }[];
}

export function checkRunFolders(recipeDir: string): RunFolderSummary {
  const summary: RunFolderSummary = { published: new Map(), unpublished: [] };
  for (const id of readdirSync(recipeDir).filter((e) => /^[0-9a-f]{64}$/.test(e))) {
    const dir = join(recipeDir, id);
    const attempts = existsSync(join(dir, "attempts")) ? readdirSync(join(dir, "attempts")) : [];
    for (const attempt of attempts) {
      const epochsFile = join(dir, "attempts", attempt, "epochs.jsonl");
      if (existsSync(epochsFile)) {
        const epochs = parseEpochLines(readFileSync(epochsFile, "utf8"));
        expect(epochs.ok, `${epochsFile}: ${epochs.ok ? "" : epochs.problem}`).toBe(true);
      }
    }
    const resultFile = join(dir, "result.json");
    if (!existsSync(resultFile)) continue;
    const parsed = parseResult(readFileSync(resultFile, "utf8"));
    if (!parsed.ok) throw new Error(`${resultFile}: ${parsed.problem}`);
    const result = parsed.value;
    expect(result.hash).toBe(id);
    const own = join(dir, "attempts", result.attempt!);
    // Published by link(2): the very file the attempt wrote.
    expect(statSync(resultFile).ino, `${resultFile} is attempt ${result.attempt}'s result`).toBe(statSync(join(own, "result.json")).ino);
    expect(result.checkpoint!.path).toBe(`attempts/${result.attempt}/best.safetensors`);
    expect(createHash("sha256").update(readFileSync(join(dir, result.checkpoint!.path))).digest("hex"), `${id}: checkpoint hash`).toBe(result.checkpoint!.sha256);
    const environment = parseEnvironment(readFileSync(join(own, "environment.json"), "utf8"));
    expect(environment.ok && environment.value).toEqual(result.environment);
    const epochs = parseEpochLines(readFileSync(join(own, "epochs.jsonl"), "utf8"));
    expect(epochs.ok && epochs.value).toEqual(result.epochs);
    summary.published.set(id, result);
    for (const attempt of attempts) {
      if (attempt !== result.attempt && existsSync(join(dir, "attempts", attempt, "result.json"))) summary.unpublished.push({ id, attempt });
    }
  }
  return summary;
}
