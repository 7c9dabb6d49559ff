/** Backend selection: order, quiet skips, reported failures, forced and unknown names. */
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { PluginRegistry, type BackendProvider } from "../../core/index.ts";
import { builtinRegistry } from "../../plugins/manifest.ts";
import {
  BACKEND_PLUGINS, CPU_PROVIDER, cpuBackend, defineBackend, selectBackend, WASM_PROVIDER, wasmBackend,
} from "../../plugins/backends/index.ts";

function fakeNative(packageName: string, state: "missing" | "broken"): BackendProvider {
  return {
    packageName,
    isInstalled: () => state === "broken",
    activate: () => Promise.reject(new Error("libtensorflow.so: cannot open shared object file")),
  };
}

/** The built-in wasm and cpu plugins beside a "tensorflow" plugin whose packages are the given fakes. */
function registryWith(...natives: BackendProvider[]): PluginRegistry {
  const tensorflow = defineBackend({ name: "tensorflow", description: "fake native", preference: 10 }, () => natives);
  return new PluginRegistry([tensorflow, wasmBackend, cpuBackend]);
}

function collectWarnings() {
  const warnings: string[] = [];
  return { warnings, warn: (m: string) => void warnings.push(m) };
}

describe("selectBackend", () => {
  it("skips missing native packages quietly and picks wasm with our kernels", async () => {
    const { warnings, warn } = collectWarnings();
    const env = await selectBackend(registryWith(fakeNative("@tensorflow/tfjs-node-gpu", "missing"), fakeNative("@tensorflow/tfjs-node", "missing")), { warn });
    expect(env).toMatchObject({ backend: "wasm", threads: 1, problems: [], package: "@tensorflow/tfjs-backend-wasm" });
    expect(env.versions["@tensorflow/tfjs-backend-wasm"]).toBe(env.backendVersion);
    expect(env.runtime).toMatch(/^node /);
    expect(warnings).toEqual([]);
    expect(tf.getBackend()).toBe("wasm");
  });

  it("reports an installed but broken native package and falls through to wasm", async () => {
    const { warnings, warn } = collectWarnings();
    const env = await selectBackend(registryWith(fakeNative("@tensorflow/tfjs-node-gpu", "missing"), fakeNative("@tensorflow/tfjs-node", "broken")), { warn });
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
    const env = await selectBackend(builtinRegistry(), { warn: () => {} });
    expect(env.backend).toBe(native ? "tensorflow" : "wasm");
  });

  it("treats \"auto\" like no preference", async () => {
    const env = await selectBackend(registryWith(fakeNative("@tensorflow/tfjs-node", "missing")), { prefer: "auto" });
    expect(env.backend).toBe("wasm");
  });

  it("honours a forced cpu", async () => {
    const env = await selectBackend(builtinRegistry(), { prefer: "cpu" });
    expect(env).toMatchObject({ backend: "cpu", threads: 1 });
    expect(tf.getBackend()).toBe("cpu");
  });

  it("rejects an unknown backend name, listing the valid ones", async () => {
    await expect(selectBackend(builtinRegistry(), { prefer: "gpu" })).rejects.toThrow('unknown backend "gpu"; valid backend names: auto, cpu, tensorflow, wasm');
  });

  it("fails when a forced backend is missing or broken instead of falling back", async () => {
    await expect(selectBackend(registryWith(fakeNative("@tensorflow/tfjs-node", "missing")), { prefer: "tensorflow" }))
      .rejects.toThrow(/backend "tensorflow" was requested but none of its packages is installed/);
    await expect(selectBackend(registryWith(fakeNative("@tensorflow/tfjs-node", "broken")), { prefer: "tensorflow" }))
      .rejects.toThrow(/is installed but failed/);
  });

  it("tries backends in the order their plugins declare, whatever the registration order", async () => {
    const { warnings, warn } = collectWarnings();
    const tensorflow = defineBackend({ name: "tensorflow", description: "fake native", preference: 10 }, () => [fakeNative("@tensorflow/tfjs-node", "broken")]);
    const env = await selectBackend(new PluginRegistry([cpuBackend, wasmBackend, tensorflow]), { warn });
    expect(env.backend).toBe("wasm");
    expect(warnings).toHaveLength(1);
    // A backend plugin ranked before wasm is chosen first.
    const early = defineBackend({ name: "early-cpu", description: "cpu ranked first", preference: 1 }, () => [CPU_PROVIDER]);
    expect((await selectBackend(new PluginRegistry([wasmBackend, early]), { warn })).backend).toBe("early-cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("reports a failing wasm provider and falls through to cpu under auto", async () => {
    const { warnings, warn } = collectWarnings();
    const brokenWasm = defineBackend({ name: "wasm", description: "broken", preference: 20 }, () => [
      { ...WASM_PROVIDER, activate: () => Promise.reject(new Error("no SIMD")) },
    ]);
    const env = await selectBackend(new PluginRegistry([brokenWasm, cpuBackend]), { warn });
    expect(env).toMatchObject({ backend: "cpu", package: "@tensorflow/tfjs-backend-cpu" });
    expect(env.problems).toEqual(["backend wasm (@tensorflow/tfjs-backend-wasm) is installed but failed: no SIMD"]);
  });

  it("lists the built-in backends as plugins of the registry and rejects options", async () => {
    expect(builtinRegistry().names("backend")).toEqual(["cpu", "tensorflow", "wasm"]);
    expect(BACKEND_PLUGINS.map((p) => p.meta.kind)).toEqual(["backend", "backend", "backend"]);
    await expect(builtinRegistry().create("backend", { name: "cpu", options: { threads: 2 } }, {})).rejects.toThrow(/backend plugin "cpu".*threads/);
  });
});
