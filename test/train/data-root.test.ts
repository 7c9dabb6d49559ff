// The dataset's root goes into the result as resolved on this machine, never into the spec (so it never changes a run's identity).
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig, plan, runPlan } from "../../core/index.ts";
import { createNodeRoot } from "../../plugins/platform/node/services.ts";
import { cpuEnvironment } from "../helpers/plugins.ts";
import recipe from "../../fixtures/recipes/tiny-test-split/recipe.ts";

describe("the data root", () => {
  it("is recorded in result.json, resolved, and kept out of spec.json", async () => {
    const out = await mkdtemp(join(tmpdir(), "xfer-data-root-"));
    const dataDir = await mkdtemp(join(tmpdir(), "xfer-data-root-data-"));
    const config = parseConfig({ dataRoots: { synthetic: relative(process.cwd(), dataDir) } }, "test");
    const runs = plan(recipe, { filters: [], smoke: false });
    const root = createNodeRoot({ config, runDir: out, environment: await cpuEnvironment() });
    const [result] = (await runPlan(root, runs)).results;
    expect(result.data!.root).toBe(dataDir);
    const spec = await readFile(join(out, result.hash, "spec.json"), "utf8");
    expect(spec).not.toContain(dataDir);
    expect(spec).not.toContain(relative(process.cwd(), dataDir));
  });
});
