/**
 * The contracts every plugin implements. Core holds only interfaces and pure logic, so it runs
 * unchanged under Node and Deno; anything that touches files, sharp or native TensorFlow lives in
 * plugins/ and reaches core through the I/O interfaces below.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Rng } from "./rng.ts";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// ---------------------------------------------------------------------------------------------
// Images and I/O (implemented by the runtime; Node uses node:fs and sharp)

/** A decoded image, height x width x channels, row-major (HWC), 8-bit or float. */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array | Float32Array;
}

/** Read-only access to a dataset root. Paths are relative to the root or absolute. */
export interface DataIO {
  /** The directory it reads, as resolved (absolute); recorded in results, never in specs (it is machine-specific). */
  readonly root?: string;
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  exists(path: string): Promise<boolean>;
  /** Entries of a directory (names only), sorted by UTF-16 code units like Python's sorted(). */
  list(path: string): Promise<string[]>;
  isDirectory(path: string): Promise<boolean>;
  join(...parts: string[]): string;
}

export interface DecodeOptions {
  /** Resize so that the shorter side is `size` (or to exactly `[height, width]`). */
  resize?: number | readonly [number, number];
  /** Output channels: 1 (grayscale), 3 (RGB) or 4 (RGBA/RGBY). Defaults to the file's. */
  channels?: 1 | 3 | 4;
  /** "bgr" reproduces the reference code's OpenCV reads that were never converted to RGB. */
  channelOrder?: "rgb" | "bgr";
  /** Resampling kernel for `resize` (default "bilinear", like torchvision's Resize). */
  interpolation?: "bilinear" | "bicubic" | "nearest";
  /** "exif" rotates by the EXIF Orientation tag (OpenCV's imread); "stored" keeps pixels as stored (PIL). */
  orientation?: "exif" | "stored";
}

export interface ImageDecoder {
  decode(bytes: Uint8Array, options?: DecodeOptions, source?: string): Promise<Image>;
  /** The same channel/resize/order steps on already decoded 8-bit pixels (IDX, CIFAR batches). */
  convert(image: Image, options?: DecodeOptions, source?: string): Promise<Image>;
}

// ---------------------------------------------------------------------------------------------
// Datasets and splits

export type Task = "multiclass" | "multilabel" | "ordinal" | "binary";

export interface DatasetMeta {
  readonly name: string;
  readonly task: Task;
  readonly classNames: readonly string[];
  /** How the data lies on disk, in words a user can match against their download. */
  readonly nativeFormat: string;
  /** Metric used to select epochs and grid points (a registered metric name). */
  readonly selectionMetric: string;
  /** Where the data usually lies when the config names no root (Debian's packaged datasets). */
  readonly defaultRoot?: string;
}

export interface Sample {
  readonly id: string;
  /** Files that make up the sample, relative to the dataset root (HPA has four per sample). */
  readonly files: readonly string[];
  /** Class index for multiclass/ordinal/binary; sorted class indices for multilabel. */
  readonly label: number | readonly number[];
  /**
   * Multilabel only: sorted class indices, none in `label`, for which this sample counts neither
   * as positive nor as negative (VOC 2007's images whose objects of the class are all marked
   * difficult). Its label row holds IGNORED_LABEL there; metrics that rank per class (voc-map)
   * and the one-vs-rest logistic fits leave the pair out; training targets count it absent.
   */
  readonly ignore?: readonly number[];
  /** Grouping key for group-aware splits (year, camera location, patient). */
  readonly group?: string;
}

export interface DatasetIndex {
  readonly samples: readonly Sample[];
  /** Splits fixed by the distribution itself (CCT-20 annotation files, HPA split file). */
  readonly predefinedSplits?: Readonly<Record<string, readonly string[]>>;
  /** Class names found in the data (image-folder, csv); when set, they replace `meta.classNames`. */
  readonly classNames?: readonly string[];
  /** Samples left out under `skipMissing`, reported, never silent. */
  readonly skipped?: readonly { id: string; reason: string }[];
}

export interface DatasetContext {
  readonly io: DataIO;
  readonly decoder: ImageDecoder;
  /** The context of another dataset, at that dataset's own root (a dataset made of others, `concat`, reads each part there). */
  readonly contextOf?: (dataset: DatasetMeta) => DatasetContext;
}

export interface Dataset {
  readonly meta: DatasetMeta;
  index(ctx: DatasetContext): Promise<DatasetIndex>;
  /** Decoded image of one sample (before augmentation). */
  load(sample: Sample, ctx: DatasetContext, options?: DecodeOptions): Promise<Image>;
}

export interface SplitResult {
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test?: readonly string[];
}

export interface Splitter {
  /** A pure function of (index, seed): same inputs, same ids in the same order. */
  split(index: DatasetIndex, seed: number): SplitResult;
}

// ---------------------------------------------------------------------------------------------
// Models and training

export interface BackboneMeta {
  /** `architecture.weights-tag`, e.g. `resnet50.tv_in1k`. */
  readonly id: string;
  readonly inputSize: number;
  readonly channels: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly interpolation: "bilinear" | "bicubic" | "nearest";
  /** Eval preprocessing: resize the short side to this, then centre-crop `inputSize` (default: no crop). */
  readonly resizeSize?: number;
  /** Parameter count with the 1000-class ImageNet head (or the head the source ships). */
  readonly params: number;
  /** ImageNet top-1 (%) from the paper's Table 5, when it lists the model. */
  readonly imagenetTop1?: number;
  /** Where the weights come from (`torchvision`, `timm`, `random-init`) and the upstream name. */
  readonly source: string;
  readonly upstreamName?: string;
}

export interface Backbone {
  readonly meta: BackboneMeta;
  /** Pooled features before the classifier. */
  forwardFeatures(x: tf.Tensor4D, training?: boolean): tf.Tensor2D;
  /** A named further feature output of the family (CLIP's `pre_projection`, FID's `fid`), when it has one. */
  forwardTap?(name: string, x: tf.Tensor4D, training?: boolean): tf.Tensor2D;
  /** Logits. */
  forward(x: tf.Tensor4D, training?: boolean): tf.Tensor2D;
  /** Replace the classifier with a freshly initialised one of `numClasses` outputs. */
  resetClassifier(numClasses: number, rng: Rng): void;
  /** Freeze every parameter except the head (linear probing) or unfreeze all. */
  freeze(options: { except: "head" } | false): void;
  /** Variables the optimizer updates, in a stable order with stable names. */
  trainableVariables(): tf.Variable[];
  /**
   * Every variable the forward pass reads, buffers included (batch-norm running statistics), in a
   * stable order: what the trainer snapshots to restore the best epoch.
   */
  stateVariables(): tf.Variable[];
  /**
   * Overrides the momentum of every batch-norm layer in training mode (PyTorch's convention, in
   * (0, 1]); null restores each layer's own. Optional: the trainer refuses
   * `training.batchNormMomentum` for a backbone without it.
   */
  setBatchNormMomentum?(momentum: number | null): void;
  dispose(): void;
}

export interface Augmentation {
  /** A pure function of (image, rng): the same stream state gives the same image. */
  apply(image: Image, rng: Rng): Image;
}

export interface Schedule {
  /** Learning rate for optimizer step `step` (0-based) in epoch `epoch` (0-based). */
  lr(position: { epoch: number; step: number; stepsPerEpoch: number }): number;
}

export interface Optimizer {
  /** One update of `variables` with `gradients` (same order) at learning rate `lr`. */
  step(variables: readonly tf.Variable[], gradients: readonly tf.Tensor[], lr: number): void;
  /**
   * Everything a resumed run needs to take the next step exactly as an uninterrupted one would:
   * counters as `scalars`, per-variable buffers as `tensors` named `<slot>/<name>`, where `name`
   * is `names[i]` for `variables[i]` (names stable across processes, unlike tfjs variable ids).
   */
  saveState(variables: readonly tf.Variable[], names: readonly string[]): OptimizerState;
  /** Restores a state `saveState` made for variables of the same names; throws naming a slot whose variable or shape differs. */
  loadState(variables: readonly tf.Variable[], names: readonly string[], state: OptimizerState): void;
  dispose(): void;
}

export interface OptimizerState {
  readonly scalars: Readonly<Record<string, number>>;
  readonly tensors: readonly NamedTensor[];
}

export type MetricDirection = "max" | "min";
/**
 * A multilabel row's entry for a class in the sample's `ignore` list: neither present (1) nor
 * absent (0). Metrics that cannot leave such entries out reject them.
 */
export const IGNORED_LABEL = -1;
/** Class indices (single-label tasks) or multi-hot rows (multilabel; IGNORED_LABEL for a sample's ignored classes). */
export type Labels = readonly number[] | readonly (readonly number[])[];
/** n x k scores (probabilities; sigmoid outputs for multilabel). */
export type Scores = readonly (readonly number[])[];

export interface Metric {
  readonly name: string;
  readonly direction: MetricDirection;
  compute(yTrue: Labels, yScore: Scores): number;
  /**
   * Metrics with fitted state (multilabel thresholds) learn it on the selection split and return
   * the fitted metric, which then scores the test split.
   */
  fit?(yTrue: Labels, yScore: Scores): Metric;
}

// ---------------------------------------------------------------------------------------------
// Results

export interface EnvironmentRecord {
  readonly backend: string;
  readonly backendVersion: string;
  readonly threads: number;
  readonly runtime: string;
  readonly platform: string;
  readonly versions: Readonly<Record<string, string>>;
}

/** Milliseconds from an arbitrary origin (performance.now on Node and Deno); the trainer's timings. */
export interface Clock {
  now(): number;
  /**
   * Epoch milliseconds at which now() read 0 (performance.timeOrigin), so results can record
   * wall-clock start and end times; a clock without it (a fake one) records none.
   */
  readonly timeOrigin?: number;
}

// ---------------------------------------------------------------------------------------------
// Compute backends (plugin kind "backend"): chosen once per process, recorded in every result,
// never part of a run spec.

/** What an activated backend reports. */
export interface ActiveBackend {
  readonly version: string;
  readonly threads: number;
  /** Further facts worth recording (e.g. which wasm binary was loaded). */
  readonly details?: Readonly<Record<string, string>>;
}

/** One npm package that provides a backend. */
export interface BackendProvider {
  readonly packageName: string;
  /** False when the package is absent: it is then skipped without a word. */
  isInstalled(): boolean;
  /** Loads, registers and activates the backend; throws when the package is present but broken. */
  activate(settings: BackendSettings): Promise<ActiveBackend>;
}

/** Host settings every provider receives (from the config or the command line). */
export interface BackendSettings {
  /** XNNPACK threads for wasm; fixed when wasm first initialises. */
  readonly wasmThreads: number;
}

export interface ComputeBackend {
  /** Rank under "auto": lower is tried first (tensorflow 10, wasm 20, cpu 30); ties go by name. */
  readonly preference: number;
  /** Its packages in the order they are tried. */
  readonly providers: readonly BackendProvider[];
}

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly selection: Readonly<Record<string, number>>;
  readonly seconds: number;
  /** The training loss function on the val split after the epoch (eval mode; absent in runs stored before xfer recorded it). */
  readonly valLoss?: number;
  /** Learning rate at the epoch's first and last step (absent in runs stored before xfer recorded it). */
  readonly lr?: { readonly start: number; readonly end: number };
}

/** Per-class scores of one class on one split. */
export interface ClassMetrics {
  readonly class: string;
  /** Samples of the class in the split. */
  readonly support: number;
  /** For single-label tasks recall is the class's accuracy. Null when undefined (0/0: no predictions, or no samples), as JSON stores it. */
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

/** How a checkpoint scores one split, class by class. */
export interface SplitEvaluation {
  readonly samples: number;
  /** The training loss function on the split. */
  readonly loss: number;
  /** Single-label tasks: argmax predictions; multilabel: scores at 0.5 per class. */
  readonly perClass: readonly ClassMetrics[];
  /** Single-label tasks: counts, rows the true class, columns the predicted one (class order of perClass). */
  readonly confusion?: readonly (readonly number[])[];
}

/** What a run trained on: split sizes, the split manifest's hash and the data root. */
export interface RunDataRecord {
  readonly train: number;
  readonly val: number;
  readonly test?: number;
  /** contentHash (SHA-256 of canonical JSON) of core/splits/manifest.ts buildSplitManifest for the run's split. */
  readonly splitManifestSha256: string;
  /** The dataset's root as resolved on the machine that trained (absent for datasets that read no files). */
  readonly root?: string;
}

export interface RunResult {
  readonly hash: string;
  readonly recipe: string;
  readonly epochs: readonly EpochRecord[];
  /** Best epoch by the selection metric (strictly better wins, the earliest on ties). */
  readonly bestEpoch: number;
  readonly best: Readonly<Record<string, number>>;
  readonly test?: Readonly<Record<string, number>>;
  /** Ordinal regression: the class cut points fitted on the selection split at the best epoch. */
  readonly thresholds?: readonly number[];
  /** Trainable parameters of the backbone with the run's head, before any freezing (absent in runs stored before xfer recorded it). */
  readonly params?: number;
  /** Samples the dataset left out (skipMissing, skipUndecodable), with the reason; absent when none. */
  readonly skipped?: readonly { readonly id: string; readonly reason: string }[];
  readonly seconds: number;
  /** Wall-clock start and end (ISO 8601, UTC) from the container's clock (absent when the clock has no timeOrigin, or in older runs). */
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** Split sizes, split manifest hash, data root (absent in runs stored before xfer recorded them). */
  readonly data?: RunDataRecord;
  /** Per-class metrics on val at the best epoch and on test (absent in runs stored before xfer recorded them). */
  readonly evaluation?: { readonly val: SplitEvaluation; readonly test?: SplitEvaluation };
  readonly seeds: Readonly<Record<string, string>>;
  readonly environment: EnvironmentRecord;
  /** The backbone's external weights, part of the run's identity (absent: none, or a result from before xfer recorded them). */
  readonly weights?: WeightsRecord;
  /** With a best-of upstream reference (`upstream.best`): the candidate run whose weights were loaded. */
  readonly upstreamRun?: string;
  /** The attempt that published this result (absent in results stored before attempts). */
  readonly attempt?: string;
  /** The best checkpoint this result belongs to, checked when the result is read (absent in results stored before attempts). */
  readonly checkpoint?: CheckpointRecord;
  /** The stored predictions (RunPredictions) of the run's scored split, checked when read (absent in runs stored before xfer kept them). */
  readonly predictions?: CheckpointRecord;
  /** training.mode "logistic-regression": the L2 strength chosen on the selection split (core/stats/logistic-regression.ts). */
  readonly regularisation?: { readonly lambda: number; readonly candidates: number };
}

/**
 * What a run predicted for every sample of one split, with the best epoch's weights: the test
 * split when the run has one, else the selection split. Enough to recompute any metric, bootstrap
 * it, or pair two runs sample by sample (McNemar). Stored compactly (predictions.safetensors).
 */
export interface RunPredictions {
  readonly split: "test" | "val";
  /** Sample ids, in the order of `labels` and the rows of `scores`. */
  readonly ids: readonly string[];
  /** Class index per sample (single-label tasks) or multi-hot rows (multilabel), as the metrics read them. */
  readonly labels: Labels;
  /** n x k, as the metrics read them: probabilities (sigmoid outputs for multilabel; one-hot classes after the cut points for ordinal regression). */
  readonly scores: Scores;
}

/** Weights a backbone loaded from a file: identified by their tensors, not the file's path or format. */
export interface WeightsRecord {
  /** The backbone plugin that loaded them. */
  readonly backbone: string;
  /** core/run-identity.ts tensorsSha256: names, shapes and float32 data. */
  readonly tensorsSha256: string;
}

export interface CheckpointRecord {
  /** Relative to the run's folder, e.g. attempts/<attempt>/best.safetensors. */
  readonly path: string;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** A tensor's values by name, as stored in a checkpoint (float32, row-major, tfjs layout). */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface StoredRun {
  readonly spec: JsonObject;
  readonly result: RunResult;
}

/** What a run store holds for one run identity. */
export type RunLookup =
  | { readonly state: "absent" }
  | { readonly state: "done"; readonly run: StoredRun }
  /** A published result failed validation: it was moved aside (never deleted) and the run counts as not done. */
  | { readonly state: "damaged"; readonly problem: string; readonly keptAs: readonly string[] };

/**
 * What a run needs to go on after its last completed epoch, bit for bit as if never stopped
 * (written at the end of every epoch; only the latest is kept; core/train/resume.ts encodes it).
 */
export interface ResumeState {
  readonly runId: string;
  /** Completed epochs: training goes on with the epoch numbered `epochsDone + 1`. */
  readonly epochsDone: number;
  /** Model state `model/<name>`, optimizer buffers `optimizer/<slot>/<name>`, the best epoch's state `best/<name>`. */
  readonly tensors: readonly NamedTensor[];
  /** The rest, as JSON: epoch records so far, the best epoch and its values, cut points, val scores at the best epoch, optimizer counters, random stream positions. */
  readonly meta: JsonObject;
}

/** Who runs a sweep's runs: one process. Its id is unique across hosts, processes and time. */
export interface WorkerIdentity {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** Set when the worker is a SLURM array task (from SLURM_* variables), so `xfer status` can ask squeue. */
  readonly slurm?: { readonly jobId: string; readonly arrayJobId?: string; readonly arrayTaskId?: string };
}

/** The claim file's content: who holds a run, since when, and its latest heartbeat (ISO times). */
export interface ClaimRecord {
  readonly worker: WorkerIdentity;
  /** The attempt the worker trains the run in, once begun. */
  readonly attempt?: string;
  readonly since: string;
  readonly heartbeat: string;
}

/** A held claim: the worker heartbeats until it releases; `heartbeat` returns false once another worker took the run over. */
export interface RunClaim {
  readonly record: ClaimRecord;
  heartbeat(update?: { readonly attempt?: string }): Promise<boolean>;
  release(): Promise<void>;
}

export type ClaimOutcome =
  | { readonly state: "claimed"; readonly claim: RunClaim; /** The stale claim this one replaced. */ readonly tookOver?: ClaimRecord }
  | { readonly state: "held"; readonly by: ClaimRecord; readonly heartbeatAgeMs: number };

/** error.json of a failed attempt. */
export interface RunFailure {
  readonly message: string;
  readonly stack?: string;
  readonly attempt: string;
  /** Failed attempts of this run so far, this one included. */
  readonly failedAttempts: number;
  readonly at: string;
  readonly environment: EnvironmentRecord;
}

/** What an attempt goes on from: the resume state's epoch count and history (and the attempt that wrote it, when known). */
export interface ResumedFrom {
  readonly attempt?: string;
  readonly epochsDone: number;
  readonly epochs: readonly EpochRecord[];
}

/** A finished attempt's result: published, or discarded because another attempt published first. */
export type PublishOutcome =
  | { readonly published: true; readonly result: RunResult }
  | { readonly published: false; readonly result: RunResult; readonly winner: RunResult };

/**
 * One process's work on one run. What it writes (epochs, checkpoint, environment, its result) goes
 * where no other attempt writes, so concurrent attempts never mix.
 */
export interface RunAttempt {
  /** Unique among all attempts: host, process id and a random suffix. */
  readonly id: string;
  /** Streams one finished epoch, so a long run can be watched and a killed one inspected. */
  appendEpoch(epoch: EpochRecord): Promise<void>;
  /** Stores the best epoch's weights and buffers; the last one stored is the one the result names. */
  putCheckpoint(tensors: readonly NamedTensor[]): Promise<void>;
  /**
   * Completes the result with this attempt's id and its checkpoint record, stores it with the
   * attempt, then publishes it unless a result of the run is already published: a published
   * result is never replaced, the later one is discarded (and kept with its attempt).
   */
  finish(result: RunResult): Promise<PublishOutcome>;
  /** Replaces the run's resume state (atomically; only the claim holder writes it). */
  putResume(state: ResumeState): Promise<void>;
  /** Stores the predictions of the run's scored split; the result `finish` publishes names them. */
  putPredictions(predictions: RunPredictions): Promise<void>;
  /** Records why the attempt failed (error.json in the attempt's folder) and returns the record. */
  fail(error: { readonly message: string; readonly stack?: string }): Promise<RunFailure>;
}

/**
 * Runs by identity (core/run-identity.ts). A run is done once a result is published; a published
 * result is never rewritten. Everything read back is validated: a damaged result is reported by
 * `lookup`, kept aside and treated as not done.
 */
export interface RunStore {
  lookup(id: string): Promise<RunLookup>;
  /** The run when `lookup` finds it done, else undefined. */
  get(id: string): Promise<StoredRun | undefined>;
  /**
   * Starts an attempt: records the spec (once per run) and the attempt's environment; `resumedFrom`
   * (the resume state's attempt and epoch) is recorded with the attempt, and its `epochs` (the
   * resume state's history, `epochsDone` records) become the attempt's first epoch records.
   */
  begin(id: string, spec: JsonObject, environment: EnvironmentRecord, resumedFrom?: ResumedFrom): Promise<RunAttempt>;
  /**
   * Claims the run for `worker`, atomically also on a shared file system: "held" while another
   * worker's heartbeat is younger than `leaseMs`; a stale claim is taken over.
   */
  claim(id: string, worker: WorkerIdentity, leaseMs: number): Promise<ClaimOutcome>;
  /** The run's current claim, if held (released claims are not reported). */
  claimOf(id: string): Promise<{ readonly by: ClaimRecord; readonly heartbeatAgeMs: number } | undefined>;
  /** The latest resume state, validated; a damaged one is kept aside and undefined returned. */
  resume(id: string): Promise<ResumeState | undefined>;
  /** error.json records of the run's failed attempts, oldest first. */
  failures(id: string): Promise<RunFailure[]>;
  /** Identities whose runs have a published result, sorted; `lookup` validates each. */
  list(): Promise<string[]>;
  /** The best checkpoint of a published run, checked against its result (undefined when the run is not done). */
  checkpoint(id: string): Promise<ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }> | undefined>;
  /** The stored predictions of a published run, validated (undefined when the run is not done or predates them). */
  predictions(id: string): Promise<RunPredictions | undefined>;
}
