/** tfjs's plain JavaScript backend: always there, slowest, the last resort under "auto". */
import * as tf from "@tensorflow/tfjs";
import type { BackendProvider } from "../../../core/contracts.ts";
import { defineBackend, setTfjsBackend } from "../common.ts";

export const CPU_PROVIDER: BackendProvider = {
  packageName: "@tensorflow/tfjs-backend-cpu",
  // Part of @tensorflow/tfjs, which xfer depends on.
  isInstalled: () => true,
  async activate() {
    await setTfjsBackend("cpu");
    return { version: tf.version_core, threads: 1 };
  },
};

export const cpuBackend = defineBackend(
  { name: "cpu", description: "tfjs's JavaScript kernels (@tensorflow/tfjs-backend-cpu), one thread", preference: 30 },
  () => [CPU_PROVIDER],
);
