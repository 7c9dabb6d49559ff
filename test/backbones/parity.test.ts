// PyTorch parity on the committed cases (fixtures/generators/backbone-parity.py), wasm backend.
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { checkParity } from "./parity-check.ts";

const DIR = "fixtures/parity/backbones";
const CASES = readdirSync(DIR).filter((f) => f.endsWith(".io.safetensors")).map((f) => f.replace(".io.safetensors", "")).sort();

beforeAll(async () => {
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  expect(await tf.setBackend("wasm")).toBe(true);
});

describe("backbone parity with torchvision (eval mode, wasm)", () => {
  it("has committed cases", () => expect(CASES.length).toBeGreaterThan(0));
  it.each(CASES)("%s", async (name) => {
    const r = await checkParity(DIR, name);
    expect(r.xferParams).toBe(r.torchParams);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });
});

describe("ViT checkpoint adaptation", () => {
  it.each(["vit_mini.timm.safetensors", "vit_mini.legacy.safetensors"])("loads %s (timm names; torchvision < 0.14 MLP names)", async (file) => {
    const r = await checkParity(DIR, "vit_mini", file);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(r.tolerance);
  });
});
