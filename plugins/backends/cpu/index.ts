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
    silenceNodeBanner();
    return { version: tf.version_core, threads: 1 };
  },
};

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js ..." through
 * console.warn on its first tensor write when it runs in Node. The backend gates that banner, and
 * nothing else, on its `firstUse` flag, so clearing the flag drops the banner while every other
 * tfjs warning still prints (the IS_TEST and PROD flags would silence all of them).
 */
function silenceNodeBanner(): void {
  const backend = tf.backend() as unknown as { firstUse?: unknown };
  if (typeof backend.firstUse !== "boolean") throw new Error("@tensorflow/tfjs-backend-cpu no longer has the firstUse flag that gates its Node.js banner; update plugins/backends/cpu");
  backend.firstUse = false;
}

export const cpuBackend = defineBackend(
  { name: "cpu", description: "tfjs's JavaScript kernels (@tensorflow/tfjs-backend-cpu), one thread", preference: 30 },
  () => [CPU_PROVIDER],
);
