/**
 * `xfer evaluate <recipe> <run>`: re-scores a stored run's best checkpoint on one of its splits.
 * The checkpoint is the one the published result names, its SHA-256 checked by the store when the
 * result is read and again on the bytes loaded; the run's parts are rebuilt from its stored spec
 * through the container, on the backend that trained it (unless --backend), reading the data root
 * the run recorded (unless --root). On the run's own val or test split this reproduces the stored
 * metrics exactly.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { createRunContainer, evaluateRun } from "../../../../../core/di.ts";
import { XferError } from "../../../../../core/errors.ts";
import { readSafetensors } from "../../../../../core/formats/safetensors.ts";
import type { RunSpec } from "../../../../../core/recipe.ts";
import { backendChoices, selectBackend } from "../../../../backends/select.ts";
import { builtinRegistry } from "../../../../manifest.ts";
import type { FsRunStore } from "../../run-store.ts";
import { findRun, openRecipeStore } from "./curves.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const SPLITS = ["val", "test", "train"] as const;

const fixed = (value: number | null) => (value === null ? "-" : value.toFixed(4));

/** A finished run's spec, result and best checkpoint, the checkpoint's bytes checked against the SHA-256 its result records. */
export async function bestCheckpoint(store: FsRunStore, prefix: string) {
  const id = await findRun(store, prefix);
  const found = await store.lookup(id);
  if (found.state !== "done") throw new XferError(`run ${id.slice(0, 12)} in ${store.dir}: ${found.state === "damaged" ? `damaged (${found.problem})` : "has no published result"}`);
  const { spec, result } = found.run;
  if (!result.checkpoint) throw new XferError(`run ${id.slice(0, 12)}: its result (stored before xfer kept checkpoints) names no checkpoint`);
  const checkpointPath = join(store.dir, id, result.checkpoint.path);
  const bytes = await readFile(checkpointPath);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== result.checkpoint.sha256) throw new XferError(`${checkpointPath}: SHA-256 ${sha256} differs from ${result.checkpoint.sha256} recorded in result.json (changed since it was checked)`);
  return { id, spec, result, checkpoint: readSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), checkpointPath) };
}

export function registerEvaluateCommand(program: Command, io: Io): void {
  program
    .command("evaluate")
    .description("re-score a stored run's best checkpoint on one of its splits and print the metrics, per class too")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .argument("<run>", "run identity or a prefix of it (6+ hex digits, as `xfer run` prints)")
    .addOption(new Option("--split <name>", "split to score").choices([...SPLITS]).default("test"))
    .option("--out <dir>", "output directory the recipe was run into (default: config outDir, else ./runs)")
    .option("--root <dir>", "the dataset's root on this machine (default: the root the run recorded, else config dataRoots)")
    .option("--json", "print the metrics and per-class scores as JSON")
    .addOption(new Option("--backend <name>", "compute backend (default: the one that trained the run)").choices(backendChoices(builtinRegistry())))
    .action(async (ref: string, prefix: string, opts: { split: (typeof SPLITS)[number]; out?: string; root?: string; json?: boolean; backend?: string }) => {
      const { config, registry, recipe, store } = await openRecipeStore(ref, opts.out, program.opts().config);
      const { id, spec, result, checkpoint } = await bestCheckpoint(store, prefix);

      // Scores are bitwise those of training only on the same backend: default to the run's.
      const backend = opts.backend ?? result.environment.backend;
      const environment = await selectBackend(registry, { prefer: backend, wasmThreads: config.wasmThreads, warn: io.err });
      const runSpec = spec as unknown as RunSpec;
      const root = opts.root ?? result.data?.root;
      const dataRoots = root === undefined ? config.dataRoots : { ...config.dataRoots, [runSpec.dataset.name]: root };
      // The run services (sharp) load with the commands that use them, not at start-up.
      const { createNodeRoot } = await import("../../services.ts");
      const container = createNodeRoot({ config: { ...config, dataRoots }, runDir: store.dir, environment, registry });
      const run = await createRunContainer(container, id, runSpec);
      try {
        const scored = await evaluateRun(run, checkpoint, opts.split, result.thresholds);
        // A logistic-regression run's checkpoint is the fit refitted on train + val; its stored val metrics are the train-only fit's.
        const refitOnVal = opts.split === "val" && runSpec.training.mode === "logistic-regression";
        const stored = opts.split === "val" && !refitOnVal ? result.best : opts.split === "test" ? result.test : undefined;
        if (opts.json) {
          io.out(JSON.stringify({ run: id, recipe: recipe.name, bestEpoch: result.bestEpoch, backend: environment.backend, ...scored, ...(stored ? { stored } : {}) }, null, 2));
          return;
        }
        io.out(`run ${id.slice(0, 12)} of ${recipe.name}, best epoch ${result.bestEpoch}, on ${opts.split} (${scored.evaluation.samples} samples, backend ${environment.backend}):`);
        if (refitOnVal) io.out("  (training.mode logistic-regression: the checkpoint was refitted on train + val, so it saw these samples; the run's val metrics are the train-only fit's)");
        for (const [name, value] of Object.entries(scored.metrics)) {
          const note = stored?.[name] === undefined ? "" : stored[name] === value ? " (as stored)" : ` (stored: ${stored[name]})`;
          io.out(`  ${name.padEnd(20)} ${value}${note}`);
        }
        io.out(`  ${"loss".padEnd(20)} ${scored.evaluation.loss}`);
        const width = Math.max(5, ...scored.evaluation.perClass.map((c) => c.class.length));
        io.out(`  ${"class".padEnd(width)}  support  precision  recall     f1`);
        for (const c of scored.evaluation.perClass) {
          io.out(`  ${c.class.padEnd(width)}  ${String(c.support).padStart(7)}  ${fixed(c.precision).padStart(9)}  ${fixed(c.recall).padStart(6)}  ${fixed(c.f1).padStart(6)}`);
        }
        if (scored.evaluation.confusion) {
          io.out(`  confusion (rows true, columns predicted):`);
          for (const row of scored.evaluation.confusion) io.out(`    ${row.map((n) => String(n).padStart(5)).join("")}`);
        }
      } finally {
        run.dispose();
      }
    });
}
