/**
 * `xfer submit <recipe> <run>`: the Kaggle submission file (`id_code,diagnosis`) of the APTOS 2019
 * competition's test images (`test.csv` + `test_images/<id_code>.png`) from a finished run: its best
 * checkpoint (SHA-256 checked), its eval preprocessing and head (argmax, or the ordinal L1/MSE
 * head's output through the cut points the run fitted). The images are read as the run read APTOS
 * (its aptos2019 options: channel order, orientation), from --root or config dataRoots.aptos2019.
 * An existing file is replaced only when xfer wrote it: each folder xfer writes submissions into
 * keeps a ledger (.xfer-submissions.json) of the files it wrote and their SHA-256.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Option, type Command } from "commander";
import type { JsonObject, Sample } from "../../../../../core/contracts.ts";
import { createRunContainer, predictRun } from "../../../../../core/di.ts";
import { XferError } from "../../../../../core/errors.ts";
import type { RunSpec } from "../../../../../core/recipe.ts";
import { SeedTree } from "../../../../../core/rng.ts";
import { APTOS_CLASSES } from "../../../../datasets/aptos2019/index.ts";
import { FileCheck, IdSet, readCsv, rowWhere } from "../../../../datasets/common/index.ts";
import { backendChoices, selectBackend } from "../../../../backends/select.ts";
import { builtinRegistry } from "../../../../manifest.ts";
import { exists, writeBytesAtomic, writeJsonAtomic } from "../../store-files.ts";
import { bestCheckpoint } from "./evaluate.ts";
import { openRecipeStore } from "./curves.ts";

interface Io {
  out(text: string): void;
  err(text: string): void;
}

const TEST_CSV = "test.csv";
const LEDGER = ".xfer-submissions.json";

/** The aptos2019 options the run read APTOS with: its dataset's, or its concat part's. */
function aptosOptions(spec: RunSpec, id: string): JsonObject {
  if (spec.dataset.name === "aptos2019") return (spec.dataset.options ?? {}) as JsonObject;
  const parts = spec.dataset.name === "concat" ? ((spec.dataset.options as { parts?: { name: string; options?: JsonObject }[] } | undefined)?.parts ?? []) : [];
  const part = parts.find((p) => p.name === "aptos2019");
  if (!part) throw new XferError(`run ${id.slice(0, 12)} trained on dataset "${spec.dataset.name}"${parts.length > 0 ? ` (${parts.map((p) => p.name).join(" + ")})` : ""}; a Kaggle APTOS submission needs a run that trained on aptos2019 (alone or as a concat part)`);
  return part.options ?? {};
}

/** The ledger's record of what xfer wrote in `dir`, refused when the file is not xfer's ledger. */
async function readLedger(dir: string): Promise<Record<string, string>> {
  const path = join(dir, LEDGER);
  if (!(await exists(path))) return {};
  let ledger: unknown;
  try {
    ledger = JSON.parse(await readFile(path, "utf8"));
  } catch {
    ledger = undefined;
  }
  const valid = ledger !== null && typeof ledger === "object" && !Array.isArray(ledger) && Object.values(ledger as object).every((v) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v));
  if (!valid) throw new XferError(`${path}: not xfer's submission ledger (expected a JSON object of file name -> SHA-256); move it away to write submissions here`);
  return ledger as Record<string, string>;
}

const sha256 = (bytes: string | Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export function registerSubmitCommand(program: Command, io: Io): void {
  program
    .command("submit")
    .description("write a run's Kaggle submission (id_code,diagnosis) for the APTOS 2019 test images")
    .argument("<recipe>", "built-in recipe name or path to a recipe folder")
    .argument("<run>", "run identity or a prefix of it (6+ hex digits, as `xfer run` prints)")
    .option("--root <dir>", "the APTOS 2019 download holding test.csv and test_images/ (default: config dataRoots.aptos2019)")
    .option("--output <file>", "the submission file (default: <out>/<recipe>/submissions/<run>.csv); an existing file only if xfer wrote it")
    .option("--out <dir>", "output directory the recipe was run into (default: config outDir, else ./runs)")
    .addOption(new Option("--backend <name>", "compute backend (default: the one that trained the run)").choices(backendChoices(builtinRegistry())))
    .action(async (ref: string, prefix: string, opts: { root?: string; output?: string; out?: string; backend?: string }) => {
      const { config, registry, recipe, store } = await openRecipeStore(ref, opts.out, program.opts().config);
      const { id, spec, result, checkpoint } = await bestCheckpoint(store, prefix);
      const runSpec = spec as unknown as RunSpec;
      const root = opts.root ?? config.dataRoots.aptos2019;
      if (root === undefined) throw new XferError("no APTOS 2019 folder: pass --root DIR (the competition download with test.csv and test_images/) or set dataRoots.aptos2019 in your xfer config");
      const output = resolve(opts.output ?? join(store.dir, "submissions", `${id.slice(0, 12)}.csv`));
      // Checked before anything is computed: a refusal after minutes of inference helps no one.
      const ledger = await readLedger(dirname(output));
      const written = async () => sha256(await readFile(output));
      if ((await exists(output)) && ledger[basename(output)] !== (await written())) {
        throw new XferError(`${output} exists and xfer did not write it (or it changed since); choose another --output or move the file`);
      }

      // The dataset context and run services (sharp) load with the commands that use them, not at start-up.
      const { nodeDatasetContext } = await import("../../context.ts");
      const context = nodeDatasetContext(resolve(root));
      const aptos = await registry.create("dataset", { name: "aptos2019", options: aptosOptions(runSpec, id) }, { seeds: new SeedTree(runSpec.seed) });
      const { rows } = await readCsv(context.io, TEST_CSV, ["id_code"]);
      if (rows.length === 0) throw new XferError(`${join(root, TEST_CSV)}: no rows; expected one id_code per test image`);
      const ids = new IdSet();
      // Collected, not thrown at the first: a submission needs every image, and the user fixes them all at once.
      const check = new FileCheck(context.io, true);
      const samples: Sample[] = [];
      for (const row of rows) {
        const idCode = row.values.id_code;
        if (idCode === "" || idCode.includes("/")) throw new XferError(`${rowWhere(TEST_CSV, row, "id_code")}: "${idCode}"; expected an image id (no "/")`);
        ids.add(idCode, rowWhere(TEST_CSV, row));
        const files = [`test_images/${idCode}.png`];
        await check.present(idCode, files, rowWhere(TEST_CSV, row));
        // The label is a placeholder: test images have none (prediction ignores it).
        samples.push({ id: idCode, files, label: 0 });
      }
      if (check.skipped.length > 0) {
        throw new XferError(`${root}: ${check.skipped.length} test image(s) missing, a submission needs every id of ${TEST_CSV}: ${check.skipped.slice(0, 3).map((s) => s.reason).join("; ")}${check.skipped.length > 3 ? "; ..." : ""}`);
      }

      const environment = await selectBackend(registry, { prefer: opts.backend ?? result.environment.backend, wasmThreads: config.wasmThreads, warn: io.err });
      const { createNodeRoot } = await import("../../services.ts");
      const container = createNodeRoot({ config, runDir: store.dir, environment, registry });
      const run = await createRunContainer(container, id, runSpec);
      let predicted: number[];
      try {
        predicted = await predictRun(run, checkpoint, { dataset: aptos, context, samples }, result.thresholds);
      } finally {
        run.dispose();
      }
      const numClasses = APTOS_CLASSES.length;
      const bad = predicted.findIndex((k) => !(Number.isInteger(k) && k >= 0 && k < numClasses));
      if (bad >= 0) throw new XferError(`run ${id.slice(0, 12)} predicted class ${predicted[bad]} for ${samples[bad].id}; expected a grade 0-${numClasses - 1}`);
      const text = ["id_code,diagnosis", ...samples.map((s, i) => `${s.id},${predicted[i]}`)].join("\n") + "\n";
      await mkdir(dirname(output), { recursive: true });
      await writeBytesAtomic(output, text);
      await writeJsonAtomic(join(dirname(output), LEDGER), { ...(await readLedger(dirname(output))), [basename(output)]: sha256(text) });

      const counts = APTOS_CLASSES.map((_, k) => predicted.filter((p) => p === k).length);
      io.out(`wrote ${output}: ${samples.length} test images of ${recipe.name} run ${id.slice(0, 12)} (best epoch ${result.bestEpoch}), grades 0-4: ${counts.join(" / ")}`);
      const tags = runSpec.tags ?? {};
      if (tags.model !== undefined && tags.augment !== undefined) {
        io.out(`scores-file row (run,model,augment,lr,wd,private,public; fill in Kaggle's QWKs): ${id.slice(0, 12)},${tags.model},${tags.augment},${runSpec.training.lr},${runSpec.training.weightDecay},,`);
      }
    });
}
