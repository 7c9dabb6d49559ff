/**
 * `xfer compare <idA> <idB>`: two stored runs side by side: the spec paths whose values differ
 * and the metrics of each with their difference (B - A). Ids may be unique prefixes; runs are
 * looked up in one recipe's output folder (--recipe) or in every recipe folder under --out.
 * `--mcnemar` pairs the two runs' stored predictions by sample id: McNemar's test (b, c, the exact
 * p-value, the continuity-corrected chi-square) and each run's bootstrap interval of the selection
 * metric.
 */
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { JsonObject, JsonValue, RunPredictions, StoredRun } from "../../../../../core/contracts.ts";
import { XferError } from "../../../../../core/errors.ts";
import { canonicalJson } from "../../../../../core/hash.ts";
import type { PluginRef, PluginRegistry } from "../../../../../core/plugin.ts";
import { SeedTree } from "../../../../../core/rng.ts";
import { bootstrapMetric, mcnemar, mcnemarRuns, pairPredictions } from "../../../../../core/stats/index.ts";
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

async function storedRun(recipeDirs: readonly string[], prefix: string): Promise<StoredRun & { id: string; store: FsRunStore }> {
  const { dir, id } = await findRun(recipeDirs, prefix);
  const store = new FsRunStore(dir);
  const found = await store.status(id);
  if (found.state === "done") return { ...found.run, id, store };
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

interface PairedFlags {
  readonly resamples: string;
  readonly seed: string;
}

function integerFlag(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new XferError(`compare: ${flag}: expected an integer >= ${min}, got "${text}"`);
  return value;
}

async function predictionsOf(run: StoredRun & { id: string; store: FsRunStore }, name: string): Promise<RunPredictions> {
  const predictions = await run.store.predictions(run.id);
  if (predictions === undefined) throw new XferError(`compare: run ${name} (${run.id}) stored no predictions (runs trained before xfer kept them do not have them); re-run it to compare it sample by sample`);
  return predictions;
}

/** McNemar's test on the two runs' predictions paired by sample id, and each run's bootstrap interval of the selection metric. */
async function pairedLines(
  a: StoredRun & { id: string; store: FsRunStore },
  b: StoredRun & { id: string; store: FsRunStore },
  registry: PluginRegistry,
  flags: PairedFlags,
): Promise<string[]> {
  const resamples = integerFlag("--resamples", flags.resamples, 1);
  const seed = integerFlag("--seed", flags.seed, 0);
  const [pa, pb] = [await predictionsOf(a, "A"), await predictionsOf(b, "B")];
  const exact = mcnemarRuns(pa, pb);
  const lines = [
    `paired on the ${pa.split} split: ${exact.n} samples with the same ids in both runs`,
    `  McNemar: b = ${exact.b} (A right, B wrong), c = ${exact.c} (A wrong, B right)`,
    `  exact: p = ${formatP(exact.p)}`,
  ];
  if (exact.b + exact.c === 0) lines.push("  chi-square: undefined (b + c = 0: the runs disagree on no sample)");
  else {
    const chi2 = mcnemar({ b: exact.b, c: exact.c }, { exact: false, correction: true });
    lines.push(`  chi-square with continuity correction: ${chi2.statistic.toFixed(4)}, p = ${formatP(chi2.p)}`);
  }
  const ctx = { seeds: new SeedTree(0) };
  const datasetRef = a.spec.dataset as unknown as PluginRef;
  const metricName = (await registry.create("dataset", datasetRef, ctx)).meta.selectionMetric;
  const metric = await registry.create("metric", { name: metricName }, ctx);
  // Both runs draw the same resamples (same seed, samples in A's order): the intervals are paired too.
  const intervals = [bootstrapMetric(pa, metric, { resamples, seed }), bootstrapMetric(pairPredictions(pa, pb).b, metric, { resamples, seed })];
  lines.push(`  ${metricName} (selection metric), 95% percentile bootstrap interval (${resamples} resamples, seed ${seed})${metric.fit ? "; its thresholds are refitted on each resample, as the selection split's predictions are not stored" : ""}:`);
  for (const line of formatColumns([["run", metricName, "lower", "upper"], ...intervals.map((r, i) => [i === 0 ? "A" : "B", r.estimate.toFixed(4), r.lower.toFixed(4), r.upper.toFixed(4)])])) {
    lines.push(`    ${line}`);
  }
  return lines;
}

/** p-values: 4 decimals, or 3 significant digits once they would print as 0.0000. */
function formatP(p: number): string {
  return p >= 1e-4 ? p.toFixed(4) : p.toPrecision(3);
}

export function registerCompareCommand(program: Command, io: { out(text: string): void }): void {
  program
    .command("compare")
    .description("show how two stored runs differ: spec values and metrics (ids may be unique prefixes)")
    .argument("<idA>", "run id or unique prefix (xfer runs <recipe> lists them)")
    .argument("<idB>", "run id or unique prefix")
    .option("--out <dir>", "output directory the runs are in (default: config outDir, else ./runs)")
    .option("--recipe <recipe>", "look only in this recipe's folder (built-in name or path to a recipe folder)")
    .option("--mcnemar", "pair the runs' stored predictions by sample id: McNemar's test and each run's bootstrap interval of the selection metric")
    .option("--resamples <n>", "bootstrap resamples for --mcnemar (each re-scores every test sample)", "2000")
    .option("--seed <n>", "seed of the bootstrap resamples for --mcnemar", "0")
    .action(async (idA: string, idB: string, opts: { out?: string; recipe?: string; mcnemar?: boolean } & PairedFlags) => {
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
      if (opts.mcnemar) for (const line of await pairedLines(a, b, registry, opts)) io.out(line);
    });
}
