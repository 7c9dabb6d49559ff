/**
 * Runs that stop and resume mid-run: a run stopped after epoch j (at an epoch boundary or inside
 * epoch j + 1) and resumed in a fresh set of parts from its last resume state (through the bytes
 * encodeResume writes) must give the same epoch records, best checkpoint bytes and result as the
 * run trained without a stop. A fake clock (always 0) makes even the wall-clock fields equal, so
 * whole results are compared as JSON text.
 */
import { writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import {
  createRootContainer, createRunContainer, defineRecipe, definePlugin, executeRun, MemoryRunStore, parseConfig, plan, PluginRegistry,
  type EpochRecord, type NamedTensor, type Plugin, type ResumeState, type RunAttempt, type RunResult, type RunTemplate,
} from "../../core/index.ts";
import { RunStopped } from "../../core/errors.ts";
import { writeSafetensors } from "../../core/formats/safetensors.ts";
import { decodeResume, encodeResume, parseTrainerResumeMeta, RESUME_METADATA_KEY } from "../../core/train/resume.ts";
import { helloLikeTemplate } from "../helpers/golden.ts";
import { constantSchedule, cpuEnvironment, everyThirdHoldout, NO_FILES, tinyCnnBackbone } from "../helpers/plugins.ts";
import { syntheticDataset } from "../../plugins/datasets/synthetic/index.ts";
import { createBackbone, defineBackbone } from "../../plugins/backbones/index.ts";
import { exportStore } from "../../plugins/backbones/weights/index.ts";
import { MOBILENETV3_BACKBONES } from "../../plugins/backbones/mobilenetv3/index.ts";
import { OPTIMIZER_PLUGINS } from "../../plugins/optimizers/index.ts";
import { SCHEDULE_PLUGINS } from "../../plugins/schedules/index.ts";
import { AUGMENTATION_PLUGINS } from "../../plugins/augmentations/index.ts";
import { accuracyMetric } from "../../plugins/metrics/index.ts";

/** Never improves after the first epoch: patience decides when training ends. */
const flatMetric = definePlugin({
  meta: { kind: "metric", name: "flat", version: "0.0.0", description: "always 0.5" },
  create: () => ({ name: "flat", direction: "max" as const, compute: () => 0.5 }),
});
const flatSelection = definePlugin({
  meta: { kind: "dataset", name: "synthetic-flat", version: "0.0.0", description: "" },
  async create(options, ctx) {
    const inner = await syntheticDataset.create(options, ctx);
    return { ...inner, meta: { ...inner.meta, selectionMetric: "flat" } };
  },
});

/** An optimizer plugin as written before runs could resume: step and dispose only. */
const legacyOptimizer = definePlugin({
  meta: { kind: "optimizer", name: "legacy", version: "0.0.0", description: "no saveState/loadState" },
  create: () => ({ step: () => {}, dispose: () => {} }) as never,
});

const PLUGINS: Plugin[] = [legacyOptimizer, 
  syntheticDataset, flatSelection, flatMetric, everyThirdHoldout, tinyCnnBackbone, constantSchedule,
  ...MOBILENETV3_BACKBONES.filter((e) => e.meta.id.endsWith("mini.random")).map(defineBackbone),
  ...OPTIMIZER_PLUGINS, ...SCHEDULE_PLUGINS, ...AUGMENTATION_PLUGINS, accuracyMetric,
] as Plugin[];

interface Captured {
  readonly epochs: EpochRecord[];
  best?: readonly NamedTensor[];
  readonly checkpoints: ResumeState[];
}

/**
 * Trains the template's single run in fresh parts. `stopAt` stops it once `epoch` epochs are done,
 * at the given poll after that (poll 0 before the next epoch, poll 1 before its first step, poll 2
 * before its second); `resume` goes on from a state.
 */
async function trainRun(template: RunTemplate, options: { stopAt?: { epoch: number; poll: number }; resume?: ResumeState } = {}) {
  const store = new MemoryRunStore();
  const root = createRootContainer({
    registry: new PluginRegistry(PLUGINS), config: parseConfig({}, "test"), ...NO_FILES, runStore: store, environment: await cpuEnvironment(), clock: { now: () => 0 },
  });
  const [{ hash, spec }] = plan(defineRecipe({ name: "resume-test", description: "", template }));
  const captured: Captured = { epochs: [], checkpoints: [] };
  // Only what executeRun uses: the epochs and the best state are what the store would write.
  const attempt = {
    id: "a1",
    appendEpoch: async (e: EpochRecord) => void captured.epochs.push(e),
    putCheckpoint: async (state: readonly NamedTensor[]) => void (captured.best = state),
    putPredictions: async () => {},
  } as unknown as RunAttempt;
  let polls = 0;
  const shouldStop = () => {
    const at = options.stopAt;
    if (!at || captured.epochs.length + (options.resume?.epochsDone ?? 0) < at.epoch) return false;
    return polls++ >= at.poll;
  };
  const before = tf.memory().numTensors;
  let result: RunResult | undefined;
  let stopped: unknown;
  try {
    result = await executeRun(await createRunContainer(root, hash, spec), attempt, {
      onCheckpoint: async (state) => void captured.checkpoints.push(state),
      shouldStop,
      ...(options.resume ? { resume: options.resume } : {}),
    });
  } catch (e) {
    stopped = e;
  }
  expect(tf.memory().numTensors, String(stopped)).toBe(before);
  return { hash, result, stopped, ...captured };
}

const bestBytes = (best: readonly NamedTensor[] | undefined) => writeSafetensors(new Map(best!.map((t) => [t.name, t])));
const text = (v: unknown) => JSON.stringify(v);

/** Uninterrupted vs stopped at `stopAt` and resumed: the same records, best bytes and result. */
async function expectResumesIdentically(template: RunTemplate, stopAt: { epoch: number; poll: number }) {
  const straight = await trainRun(template);
  expect(straight.result).toBeDefined();

  const first = await trainRun(template, { stopAt });
  expect(first.result).toBeUndefined();
  expect(first.stopped).toBeInstanceOf(RunStopped);
  expect(first.stopped).toMatchObject({ runId: straight.hash, epochsDone: stopAt.epoch, reason: "signal" });
  expect(first.checkpoints.map((c) => c.epochsDone)).toEqual(Array.from({ length: stopAt.epoch }, (_, i) => i + 1));
  const last = first.checkpoints.at(-1)!;
  const state = decodeResume(encodeResume(last), "resume.safetensors", straight.hash);

  const second = await trainRun(template, { resume: state });
  expect(second.stopped).toBeUndefined();
  const epochs = straight.result!.epochs.length;
  // Only the epochs after the stop were trained again.
  expect(second.checkpoints.map((c) => c.epochsDone)).toEqual(Array.from({ length: epochs - stopAt.epoch }, (_, i) => stopAt.epoch + i + 1));
  expect(text([...first.epochs, ...second.epochs])).toBe(text(straight.epochs));
  expect(bestBytes(second.best)).toEqual(bestBytes(straight.best));
  expect(text(second.result)).toBe(text(straight.result));
  return { straight, first, second };
}

const rgbMini = {
  ...helloLikeTemplate,
  dataset: { name: "synthetic", options: { classes: 3, perClass: 6, size: 16, channels: 3 } },
  backbone: { name: "mobilenet_v3_mini.random", options: { inputSize: 16 } },
} satisfies RunTemplate;

describe("resuming mid-run", () => {
  it("finetune with adam, a cosine schedule and random flips, stopped inside epoch 3", async () => {
    await expectResumesIdentically({
      ...helloLikeTemplate,
      optimizer: { name: "adam" },
      schedule: { name: "cosine" },
      augment: { train: [{ name: "horizontal-flip" }], eval: [] },
      training: { epochs: 4, batchSize: 8, lr: 0.01, weightDecay: 0.001 },
    }, { epoch: 2, poll: 3 });
  });

  it("sgd with Nesterov momentum, stopped at an epoch boundary", async () => {
    await expectResumesIdentically({
      ...helloLikeTemplate,
      optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } },
      schedule: { name: "cosine" },
      training: { epochs: 3, batchSize: 8, lr: 0.05, weightDecay: 0.0005 },
    }, { epoch: 1, poll: 0 });
  });

  it("a step budget (training.steps) with augmentation keyed by pass, stopped inside a round whose batches span two passes", async () => {
    await expectResumesIdentically({
      ...helloLikeTemplate,
      optimizer: { name: "sgd", options: { momentum: 0.9, nesterov: true } },
      schedule: { name: "cosine", options: { per: "step" } },
      augment: { train: [{ name: "horizontal-flip" }], eval: [] },
      // 24 train samples, batch 7: 9 steps in 3 rounds, 2 5/8 passes.
      training: { epochs: 3, steps: 9, batchSize: 7, lr: 0.05, weightDecay: 0.0005 },
    }, { epoch: 1, poll: 2 });
  });

  it("lp-ft, stopped in the linear-probe phase, resumes through the switch to fine-tuning", async () => {
    await expectResumesIdentically({
      ...helloLikeTemplate,
      optimizer: { name: "sgd", options: { momentum: 0.9 } },
      training: { epochs: 4, batchSize: 8, lr: 0.05, weightDecay: 0, mode: "lp-ft", lpEpochs: 2 },
    }, { epoch: 1, poll: 2 });
  });

  it("frozen-features recomputes the features and goes on with the saved linear head", async () => {
    const { straight } = await expectResumesIdentically({
      ...helloLikeTemplate,
      optimizer: { name: "adamw" },
      training: { epochs: 3, batchSize: 8, lr: 0.05, weightDecay: 0.01, mode: "frozen-features" },
    }, { epoch: 1, poll: 2 });
    // Stable names, so a best checkpoint is the same bytes whatever ran before in the process.
    expect(straight.best!.map((t) => t.name)).toEqual(["linear/kernel", "linear/bias"]);
  });

  it("a backbone with dropout and batch norm: the dropout stream goes on where it was", async () => {
    const template = { ...rgbMini, optimizer: { name: "adam" }, training: { epochs: 3, batchSize: 6, lr: 0.01, weightDecay: 0 } } satisfies RunTemplate;
    const { first } = await expectResumesIdentically(template, { epoch: 1, poll: 2 });
    const streams = (first.checkpoints[0].meta as { streams: Record<string, unknown> }).streams;
    expect(Object.keys(streams)).toEqual(["xfer/0/dropout/mobilenet_v3_mini.random"]);
  });

  it("a pretrained backbone whose head was reset: its tensors are named alike in every process", async () => {
    // A 10-class checkpoint for a 3-class run: the classifier is re-created, which tfjs names with a process-wide counter.
    const weights = join(await mkdtemp(join(tmpdir(), "xfer-resume-")), "mini.safetensors");
    const source = await createBackbone("mobilenet_v3_mini.random", { numClasses: 10 });
    writeFileSync(weights, writeSafetensors(exportStore(source.store)));
    source.dispose();
    const template = { ...rgbMini, backbone: { name: "mobilenet_v3_mini.random", options: { weights, inputSize: 16 } }, optimizer: { name: "sgd" }, training: { epochs: 2, batchSize: 6, lr: 0.01, weightDecay: 0 } } satisfies RunTemplate;
    const { straight } = await expectResumesIdentically(template, { epoch: 1, poll: 1 });
    expect(straight.best!.map((t) => t.name).filter((n) => n.includes("#"))).toEqual([]);
  });

  it("ordinal regression keeps the best epoch's cut points", async () => {
    const { straight } = await expectResumesIdentically({
      ...helloLikeTemplate,
      optimizer: { name: "adam" },
      training: { epochs: 3, batchSize: 8, lr: 0.01, weightDecay: 0, loss: "ordinal-mse" },
    }, { epoch: 2, poll: 0 });
    expect(straight.result!.thresholds).toHaveLength(2);
  });

  it("patience: a state written when patience ended training resumes to scoring only", async () => {
    const template = {
      ...helloLikeTemplate,
      dataset: { name: "synthetic-flat", options: helloLikeTemplate.dataset.options },
      optimizer: { name: "sgd" },
      training: { epochs: 6, batchSize: 8, lr: 0.05, weightDecay: 0, patience: 2 },
    } satisfies RunTemplate;
    const { straight } = await expectResumesIdentically(template, { epoch: 2, poll: 2 });
    expect(straight.result!.epochs).toHaveLength(3);
    const final = straight.checkpoints.at(-1)!;
    expect(final.epochsDone).toBe(3);
    const again = await trainRun(template, { resume: decodeResume(encodeResume(final), "resume", straight.hash) });
    expect(again.checkpoints).toEqual([]);
    expect(again.epochs).toEqual([]);
    expect(text(again.result)).toBe(text(straight.result));
    expect(bestBytes(again.best)).toEqual(bestBytes(straight.best));
  });

  it("refuses another run's state and a state that does not fit the rebuilt run", async () => {
    const template = { ...helloLikeTemplate, optimizer: { name: "adam" }, training: { ...helloLikeTemplate.training, epochs: 2 } } satisfies RunTemplate;
    const { checkpoints, hash } = await trainRun(template, { stopAt: { epoch: 1, poll: 0 } });
    const state = checkpoints[0];
    const other = { ...template, training: { ...template.training, lr: 0.2 } };
    const { stopped } = await trainRun(other, { resume: state });
    expect((stopped as Error).message).toMatch(new RegExp(`resume state of run [0-9a-f]{64}: it belongs to run ${hash}`));
    const sgd = { ...template, optimizer: { name: "sgd" } };
    const [{ hash: sgdHash }] = plan(defineRecipe({ name: "resume-test", description: "", template: sgd }));
    const wrongOptimizer = await trainRun(sgd, { resume: { ...state, runId: sgdHash } });
    expect((wrongOptimizer.stopped as Error).message).toMatch(/resume state of run .*: optimizer sgd: saved counters \[t\] are not this optimizer's \[\]/);
  });

  it("refuses, before training, an optimizer that cannot save its state", async () => {
    const { stopped, epochs } = await trainRun({ ...helloLikeTemplate, optimizer: { name: "legacy" } });
    expect((stopped as Error).message).toMatch(/optimizer "legacy" has no saveState\/loadState, which a run needs to resume after a stop/);
    expect(epochs).toEqual([]);
  });
});

describe("encodeResume / decodeResume", () => {
  const tensor = (name: string, shape: number[]) => ({ name, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 7) });
  const state: ResumeState = {
    runId: "run-1",
    epochsDone: 2,
    tensors: [tensor("model/w", [2, 3]), tensor("optimizer/m/w", [2, 3]), tensor("best/w", [2, 3]), tensor("val/scores", [4, 3])],
    meta: {
      history: [
        { epoch: 1, trainLoss: 1.25, selection: { accuracy: 0.5, auc: null }, seconds: 0.1, valLoss: 1.5, lr: { start: 0.1, end: 0.05 } },
        { epoch: 2, trainLoss: 0.75, selection: { accuracy: 0.75, auc: null }, seconds: 0.1, valLoss: 1, lr: { start: 0.05, end: 0.01 } },
      ],
      bestEpoch: 2, best: { accuracy: 0.75, auc: null }, bestValLoss: 1, trainingDone: false, optimizer: { t: 6 },
      streams: { "xfer/0/dropout/x": { c: 1, s0: 0.25, s1: 0.5, s2: 0.125 } },
    },
  };
  const bytes = encodeResume(state);

  it("round-trips tensors and meta exactly", () => {
    const back = decodeResume(bytes, "r.safetensors", "run-1");
    expect(back).toEqual(state);
    expect(encodeResume(back)).toEqual(bytes);
  });

  /** The same file with its meta JSON replaced. */
  function withMeta(edit: (envelope: Record<string, unknown>) => unknown): Uint8Array {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    const envelope = JSON.parse(header.__metadata__[RESUME_METADATA_KEY]);
    const map = new Map(state.tensors.map((t) => [t.name, t]));
    return writeSafetensors(map, { [RESUME_METADATA_KEY]: JSON.stringify(edit(envelope)) });
  }

  it("rejects truncated bytes, another run's state and bad meta, naming the file and the problem", () => {
    expect(() => decodeResume(bytes.subarray(0, 5), "r.safetensors", "run-1")).toThrow(/^r.safetensors: too short for a safetensors file/);
    expect(() => decodeResume(bytes.subarray(0, bytes.length - 4), "r.safetensors", "run-1")).toThrow(/^r.safetensors: tensor ".*": data_offsets .* do not fit/);
    expect(() => decodeResume(bytes, "r.safetensors", "run-2")).toThrow(/^r.safetensors: resume state of run run-1, not of run run-2$/);
    expect(() => decodeResume(writeSafetensors(new Map()), "r.safetensors", "run-1")).toThrow(/not a resume state: the safetensors __metadata__ has no "xfer.resume" entry/);
    expect(() => decodeResume(withMeta((e) => ({ ...e, format: 2 })), "r", "run-1")).toThrow(/^r: resume meta: format: /);
    expect(() => decodeResume(withMeta((e) => ({ ...e, meta: { ...(e.meta as object), bestEpoch: "2" } })), "r", "run-1")).toThrow(/^r: resume meta: meta.bestEpoch: /);
    expect(() => decodeResume(withMeta((e) => ({ ...e, meta: { ...(e.meta as object), bestEpoch: 3 } })), "r", "run-1")).toThrow(/bestEpoch 3 is after the 2 completed epoch/);
    expect(() => decodeResume(withMeta((e) => ({ ...e, epochsDone: 3 })), "r", "run-1")).toThrow(/history must hold epochs 1..3 in order, got \[1, 2\]/);
    expect(() => decodeResume(withMeta((e) => ({ ...e, meta: { ...(e.meta as object), streams: { k: { c: 1 } } } })), "r", "run-1")).toThrow(/meta.streams.k.s0/);
    const stray = writeSafetensors(new Map([...state.tensors, tensor("weights/w", [1])].map((t) => [t.name, t])), { [RESUME_METADATA_KEY]: JSON.stringify({ format: 1, runId: "run-1", epochsDone: 2, meta: state.meta }) });
    expect(() => decodeResume(stray, "r", "run-1")).toThrow(/resume state tensor "weights\/w" is none of model\/<name>/);
    const noBest = writeSafetensors(new Map(state.tensors.filter((t) => !t.name.startsWith("best/")).map((t) => [t.name, t])), { [RESUME_METADATA_KEY]: JSON.stringify({ format: 1, runId: "run-1", epochsDone: 2, meta: state.meta }) });
    expect(() => decodeResume(noBest, "r", "run-1")).toThrow(/holds 1 model\/ and 0 best\/ tensors/);
  });

  it("keeps NaN metrics as null in the file and reads them back as NaN for the trainer", () => {
    const back = decodeResume(bytes, "r", "run-1");
    expect((back.meta as { best: { auc: unknown } }).best.auc).toBeNull();
    const meta = parseTrainerResumeMeta(back, "r");
    expect(meta.best.auc).toBeNaN();
    expect(meta.history[1].selection.auc).toBeNaN();
  });
});
