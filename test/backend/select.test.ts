/** Backend selection: order, quiet skips, reported failures, forced and unknown names. */
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  CPU_CANDIDATE, DEFAULT_CANDIDATES, selectBackend, WASM_CANDIDATE, type BackendCandidate,
} from "../../plugins/backends/index.ts";

function fakeNative(packageName: string, state: "missing" | "broken"): BackendCandidate {
  return {
    backend: "tensorflow",
    packageName,
    isInstalled: () => state === "broken",
    activate: () => Promise.reject(new Error("libtensorflow.so: cannot open shared object file")),
  };
}

function collectWarnings() {
  const warnings: string[] = [];
  return { warnings, warn: (m: string) => void warnings.push(m) };
}

describe("selectBackend", () => {
  it("skips missing native packages quietly and picks wasm with our kernels", async () => {
    const { warnings, warn } = collectWarnings();
    const env = await selectBackend({
      warn,
      candidates: [fakeNative("@tensorflow/tfjs-node-gpu", "missing"), fakeNative("@tensorflow/tfjs-node", "missing"), WASM_CANDIDATE, CPU_CANDIDATE],
    });
    expect(env).toMatchObject({ backend: "wasm", threads: 1, problems: [], package: "@tensorflow/tfjs-backend-wasm" });
    expect(env.versions["@tensorflow/tfjs-backend-wasm"]).toBe(env.backendVersion);
    expect(env.runtime).toMatch(/^node /);
    expect(warnings).toEqual([]);
    expect(tf.getBackend()).toBe("wasm");
  });

  it("reports an installed but broken native package and falls through to wasm", async () => {
    const { warnings, warn } = collectWarnings();
    const env = await selectBackend({
      warn,
      candidates: [fakeNative("@tensorflow/tfjs-node-gpu", "missing"), fakeNative("@tensorflow/tfjs-node", "broken"), WASM_CANDIDATE, CPU_CANDIDATE],
    });
    expect(env.backend).toBe("wasm");
    expect(env.problems).toHaveLength(1);
    expect(env.problems[0]).toMatch(/@tensorflow\/tfjs-node\) is installed but failed: libtensorflow/);
    expect(warnings).toHaveLength(1);
  });

  it("uses the default order on this machine: native when installed, else wasm", async () => {
    const require = createRequire(import.meta.url);
    const native = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].some((p) => {
      try {
        return Boolean(require.resolve(`${p}/package.json`));
      } catch {
        return false;
      }
    });
    const env = await selectBackend({ candidates: DEFAULT_CANDIDATES, warn: () => {} });
    expect(env.backend).toBe(native ? "tensorflow" : "wasm");
  });

  it("treats \"auto\" like no preference", async () => {
    const env = await selectBackend({ prefer: "auto", candidates: [fakeNative("@tensorflow/tfjs-node", "missing"), WASM_CANDIDATE, CPU_CANDIDATE] });
    expect(env.backend).toBe("wasm");
  });

  it("honours a forced cpu", async () => {
    const env = await selectBackend({ prefer: "cpu" });
    expect(env).toMatchObject({ backend: "cpu", threads: 1 });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("rejects an unknown backend name, listing the valid ones", async () => {
    await expect(selectBackend({ prefer: "gpu" })).rejects.toThrow('unknown backend "gpu"; valid backend names: auto, cpu, tensorflow, wasm');
  });

  it("fails when a forced backend is missing or broken instead of falling back", async () => {
    await expect(selectBackend({ prefer: "tensorflow", candidates: [fakeNative("@tensorflow/tfjs-node", "missing"), WASM_CANDIDATE] }))
      .rejects.toThrow(/backend "tensorflow" was requested but none of its packages is installed/);
    await expect(selectBackend({ prefer: "tensorflow", candidates: [fakeNative("@tensorflow/tfjs-node", "broken"), WASM_CANDIDATE] }))
      .rejects.toThrow(/is installed but failed/);
  });

});
