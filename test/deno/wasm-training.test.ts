/**
 * Deno: the small conv + batch-norm + depthwise net trains on wasm with the project's kernels,
 * selected and loaded exactly as under Node (binaries read from node_modules).
 *
 *   npx deno test --allow-read --allow-env test/deno/wasm-training.test.ts
 */
import { PluginRegistry } from "../../core/plugin.ts";
import { selectBackend, wasmBackend } from "../../plugins/backends/index.ts";
import { trainSmallNet } from "../backend/net.ts";

Deno.test("small conv + BN + depthwise net trains on wasm under Deno", async () => {
  const env = await selectBackend(new PluginRegistry([wasmBackend]), { prefer: "wasm" });
  if (env.backend !== "wasm" || !env.runtime.startsWith("deno ")) throw new Error(`unexpected environment ${JSON.stringify(env)}`);
  const { losses } = trainSmallNet(6);
  if (losses.some((l) => !Number.isFinite(l))) throw new Error(`non-finite loss: ${losses}`);
  if (!(losses[5] < losses[0] - 0.05)) throw new Error(`loss did not fall: ${losses}`);
});
