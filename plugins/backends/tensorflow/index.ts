/**
 * libtensorflow through tfjs-node: @tensorflow/tfjs-node-gpu (CUDA), then @tensorflow/tfjs-node
 * (CPU). Neither is a dependency of xfer; whichever the user installed is used.
 */
import os from "node:os";
import type { BackendProvider } from "../../../core/contracts.ts";
import { defineBackend, isPackageInstalled, packageVersion, setTfjsBackend } from "../common.ts";

export function tfjsNodeProvider(packageName: string): BackendProvider {
  return {
    packageName,
    isInstalled: () => isPackageInstalled(packageName),
    async activate() {
      // The package registers the "tensorflow" backend on import (and loads libtensorflow).
      await import(packageName);
      await setTfjsBackend("tensorflow");
      // libtensorflow sizes its intra-op pool to the cores it sees.
      return { version: packageVersion(packageName), threads: os.availableParallelism() };
    },
  };
}

export const tensorflowBackend = defineBackend(
  { name: "tensorflow", description: "libtensorflow via @tensorflow/tfjs-node-gpu, else @tensorflow/tfjs-node (when installed)", preference: 10 },
  () => [tfjsNodeProvider("@tensorflow/tfjs-node-gpu"), tfjsNodeProvider("@tensorflow/tfjs-node")],
);
