/**
 * `xfer compare <idA> <idB>`: two stored runs side by side: the spec paths whose values differ
 * and the metrics of each with their difference (B - A). Ids may be unique prefixes; runs are
 * looked up in one recipe's output folder (--recipe) or in every recipe folder under --out.
 */
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { JsonObject, JsonValue, StoredRun } from "../../../../../core/contracts.ts";
import { XferError } from "../../../../../core/errors.ts";
import { canonicalJson } from "../../../../../core/hash.ts";
import { loadConfig } from "../../config.ts";
import { FsRunStore } from "../../run-store.ts";
import { loadRecipe } from "../recipes.ts";
import { formatColumns } from "./runs.ts";

const RUN_ID = /^[0-9a-f]{64}$/;

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The run folder whose id starts with `prefix`: exactly one must, among the recipe folders searched. */
async function findRun(recipeDirs: readonly string[], prefix: string): Promise<{ dir: string; id: string }> {
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) throw new XferError(`compare: "${prefix}" is not a run id (4 to 64 hex digits; \`xfer runs <recipe>\` lists them)`);
  const matches: { dir: string; id: string }[] = [];
  for (const dir of recipeDirs) {
    for (const id of await listDirs(dir)) if (RUN_ID.test(id) && id.startsWith(prefix)) matches.push({ dir, id });
  }
  if (matches.length === 0) throw new XferError(`compare: no run id starts with "${prefix}" in ${recipeDirs.join(", ") || "(no recipe folders)"}`);
  if (matches.length > 1) throw new XferError(`compare: "${prefix}" is ambiguous: ${matches.map((m) => `${m.id.slice(0, 16)} (${m.dir})`).join(", ")}; give more digits`);
  return matches[0];
}

async function storedRun(recipeDirs: readonly string[], prefix: string): Promise<StoredRun & { id: string }> {
  const { dir, id } = await findRun(recipeDirs, prefix);
  const found = await new FsRunStore(dir).status(id);
  if (found.state === "done") return { ...found.run, id };
  const why = found.state === "damaged" ? `damaged (${found.problem})` : found.state === "unfinished" ? "started but not finished" : "absent";
  throw new XferError(`compare: run ${id} in ${dir} has no result to compare: ${why}`);
}

/** Leaf paths of a JSON object (arrays are leaves), with their values as canonical JSON. */
function leaves(value: JsonValue, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix === "" ? key : `${prefix}.${key}`, out);
  } else {
    out.set(prefix, canonicalJson(value));
  }
  return out;
}

export function specDifferences(a: JsonObject, b: JsonObject): string[][] {
  const la = leaves(a);
  const lb = leaves(b);
  const paths = [...new Set([...la.keys(), ...lb.keys()])].filter((p) => !p.startsWith("point.") && la.get(p) !== lb.get(p)).sort();
  return paths.map((p) => [p, la.get(p) ?? "-", lb.get(p) ?? "-"]);
}

export function metricDifferences(a: StoredRun["result"], b: StoredRun["result"]): string[][] {
  const rows: string[][] = [["best epoch", String(a.bestEpoch), String(b.bestEpoch), String(b.bestEpoch - a.bestEpoch)]];
  for (const [split, ma, mb] of [["val", a.best, b.best], ["test", a.test ?? {}, b.test ?? {}]] as const) {
    for (const key of [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort()) {
      const [va, vb] = [ma[key], mb[key]];
      const diff = va === undefined || vb === undefined ? "" : `${vb - va >= 0 ? "+" : ""}${(vb - va).toFixed(4)}`;
      rows.push([`${split} ${key}`, va === undefined ? "-" : va.toFixed(4), vb === undefined ? "-" : vb.toFixed(4), diff]);
    }
  }
  return rows;
}

export function registerCompareCommand(program: Command, io: { out(text: string): void }): void {
  program
    .command("compare")
    .description("show how two stored runs differ: spec values and metrics (ids may be unique prefixes)")
    .argument("<idA>", "run id or unique prefix (xfer runs <recipe> lists them)")
    .argument("<idB>", "run id or unique prefix")
    .option("--out <dir>", "output directory the runs are in (default: config outDir, else ./runs)")
    .option("--recipe <recipe>", "look only in this recipe's folder (built-in name or path to a recipe folder)")
    .action(async (idA: string, idB: string, opts: { out?: string; recipe?: string }) => {
      const { config, registry } = await loadConfig({ file: program.opts().config });
      const out = resolve(opts.out ?? config.outDir);
      const recipeDirs = opts.recipe === undefined
        ? (await listDirs(out)).map((name) => join(out, name))
        : [join(out, (await loadRecipe(opts.recipe, registry)).recipe.name)];
      const a = await storedRun(recipeDirs, idA);
      const b = await storedRun(recipeDirs, idB);
      io.out(`A ${a.id}\nB ${b.id}`);
      const spec = specDifferences(a.spec, b.spec);
      io.out(spec.length === 0 ? "specs: equal" : "spec differences:");
      if (spec.length > 0) for (const line of formatColumns([["path", "A", "B"], ...spec])) io.out(`  ${line}`);
      io.out("metrics:");
      for (const line of formatColumns([["metric", "A", "B", "B - A"], ...metricDifferences(a.result, b.result)])) io.out(`  ${line}`);
    });
}
