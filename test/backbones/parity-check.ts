/**
 * PyTorch parity check for one case written by fixtures/generators/backbone-parity.py:
 * load `<case>.safetensors` into the xfer backbone named in `<case>.io.safetensors`, run the
 * stored input in eval mode, compare with the stored logits.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { countParameters, createBackbone } from "../../plugins/backbones/index.ts";
import { readSafetensors, readSafetensorsMetadata } from "../../plugins/backbones/weights/index.ts";

export interface ParityResult {
  readonly case: string;
  readonly id: string;
  readonly maxAbsDiff: number;
  readonly maxAbsLogit: number;
  /** 1e-4, relative to the largest logit when that exceeds 1. */
  readonly tolerance: number;
  readonly torchParams: number;
  readonly xferParams: number;
}

/** `weightsFile`: another checkpoint of the same weights (e.g. the `.pth` twin) to load instead. */
export async function checkParity(dir: string, name: string, weightsFile = `${name}.safetensors`): Promise<ParityResult> {
  const ioPath = join(dir, `${name}.io.safetensors`);
  const ioBytes = await readFile(ioPath);
  const meta = readSafetensorsMetadata(ioBytes, ioPath);
  const io = readSafetensors(ioBytes, ioPath);
  const input = io.get("input")!;
  const expected = io.get("logits")!;
  const numClasses = expected.shape[1];
  const inputSize = meta.inputSize === undefined ? undefined : Number(meta.inputSize);
  const backbone = await createBackbone(meta.id, { numClasses, weights: join(dir, weightsFile), inputSize });
  try {
    const got = tf.tidy(() => backbone.forward(tf.tensor4d(input.data, input.shape as [number, number, number, number]), false).dataSync());
    let maxAbsDiff = 0;
    let maxAbsLogit = 0;
    for (let i = 0; i < expected.data.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i] - expected.data[i]));
      maxAbsLogit = Math.max(maxAbsLogit, Math.abs(expected.data[i]));
    }
    if (got.length !== expected.data.length || got.some((v) => !Number.isFinite(v))) maxAbsDiff = Infinity;
    return {
      case: name, id: meta.id, maxAbsDiff, maxAbsLogit, tolerance: 1e-4 * Math.max(1, maxAbsLogit),
      torchParams: Number(meta.params), xferParams: countParameters(meta.id, numClasses, { inputSize }),
    };
  } finally {
    backbone.dispose();
  }
}

/**
 * `npm run parity -- resnet50 vit_b_16`: generate each case with PyTorch into $XFER_PARITY_DIR
 * (default <tmp>/xfer-parity) and check it; no case names: check the committed cases.
 * Backend: $XFER_PARITY_BACKEND (default wasm).
 */
async function main(cases: string[]): Promise<void> {
  const { execFileSync } = await import("node:child_process");
  const { tmpdir } = await import("node:os");
  const { readdirSync } = await import("node:fs");
  const committed = "fixtures/parity/backbones";
  const dir = cases.length ? (process.env.XFER_PARITY_DIR ?? join(tmpdir(), "xfer-parity")) : committed;
  if (cases.length) {
    execFileSync("/usr/bin/python3", ["fixtures/generators/backbone-parity.py", "--out", dir, ...cases], { stdio: "inherit" });
  } else {
    cases = readdirSync(committed).filter((f) => f.endsWith(".io.safetensors")).map((f) => f.replace(".io.safetensors", "")).sort();
  }
  const backend = process.env.XFER_PARITY_BACKEND ?? "wasm";
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const { createRequire } = await import("node:module");
    const { dirname } = await import("node:path");
    wasm.setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  }
  await tf.setBackend(backend);
  let failed = 0;
  for (const name of cases) {
    const started = Date.now();
    const r = await checkParity(dir, name);
    const ok = r.maxAbsDiff <= r.tolerance && r.torchParams === r.xferParams;
    if (!ok) failed++;
    console.log(JSON.stringify({ ...r, backend, seconds: (Date.now() - started) / 1000, pass: ok }));
  }
  if (failed) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
