/**
 * tfjs's WebAssembly backend with xfer's training kernels (./kernels). Its modules are imported
 * when selection activates it, so importing this plugin registers no tfjs backend (the stock
 * package registers "wasm" on import).
 */
import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import { setFlagsFromString } from "node:v8";
import type { BackendProvider } from "../../../core/contracts.ts";
import { XferError } from "../../../core/errors.ts";
import { defineBackend, isPackageInstalled, packageEntry, packageVersion, setTfjsBackend } from "../common.ts";

const PACKAGE = "@tensorflow/tfjs-backend-wasm";

let wasmPathsSet = false;

/**
 * Node 20's V8 compiles relaxed SIMD (the fused multiply-add of xfer's GEMM kernel) only behind a
 * flag; setting it before the kernel's first compilation is enough. Deno ships it on.
 */
function enableRelaxedSimd(): void {
  if (!("Deno" in globalThis)) setFlagsFromString("--experimental-wasm-relaxed-simd");
}

export const WASM_PROVIDER: BackendProvider = {
  packageName: PACKAGE,
  isInstalled: () => isPackageInstalled(PACKAGE),
  async activate({ wasmThreads }) {
    const { getThreadsCount, setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
    const { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } = await import("./kernels/index.ts");
    const { gemmVariant } = await import("./kernels/gemm-simd.ts");
    const { heapMemory } = await import("./kernels/compose.ts");
    const { helperOn, setHelper } = await import("./kernels/parallel.ts");
    if (!wasmPathsSet) {
      // Load the .wasm binaries from the installed package (a file path, no fetch, no network).
      setWasmPaths(path.dirname(packageEntry(PACKAGE)) + path.sep);
      wasmPathsSet = true;
    }
    enableRelaxedSimd();
    registerWasmTrainingKernels();
    // Not tf.findBackend: it starts a one-thread initialisation that races the threaded one.
    if (wasmThreads > 1 && tf.engine().registry.wasm === undefined) {
      const { initThreadedWasm } = await import("./threads.ts");
      await initThreadedWasm(wasmThreads, packageVersion(PACKAGE));
      // The last thread runs lanes of xfer's own kernels (kernels/parallel.ts).
      const { startHelperThread } = await import("./helper-thread.ts");
      const memory = heapMemory(tf.backend() as never);
      setHelper(memory, startHelperThread(memory));
    } else {
      await setTfjsBackend("wasm");
    }
    // XNNPACK's pool and xfer's helper thread together.
    const threads = getThreadsCount() + (helperOn(heapMemory(tf.backend() as never)) === undefined ? 0 : 1);
    if (threads !== wasmThreads) {
      throw new XferError(
        `wasmThreads=${wasmThreads}: the wasm backend of this process already runs ${threads} thread(s); ` +
          "threads are fixed when wasm first initialises, so choose them before anything uses wasm",
      );
    }
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return {
      version: packageVersion(PACKAGE),
      threads,
      details: {
        "wasm-binary": threads > 1 ? "threaded-simd" : simd ? "simd" : "baseline",
        // BatchMatMul runs xfer's micro-kernel; its variant sets the rounding.
        "xfer-gemm": gemmVariant(),
        "xfer-wasm-kernels": WASM_TRAINING_KERNELS.join(","),
      },
    };
  },
};

export const wasmBackend = defineBackend(
  { name: "wasm", description: "tfjs's WebAssembly backend (XNNPACK) with xfer's training kernels", preference: 20 },
  () => [WASM_PROVIDER],
);
