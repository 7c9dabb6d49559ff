/**
 * Child process of the training and threads tests: trains the small net on wasm (with the given
 * number of XNNPACK threads, default 1) and prints the threads used and the outcome's digest.
 */
import { PluginRegistry } from "../../core/plugin.ts";
import { BACKEND_PLUGINS, selectBackend } from "../../plugins/backends/index.ts";
import { digest } from "./digest.ts";
import { trainSmallNet } from "./net.ts";

const [seed, steps, wasmThreads = 1] = process.argv.slice(2).map(Number);
const env = await selectBackend(new PluginRegistry(BACKEND_PLUGINS), { prefer: "wasm", wasmThreads });
console.log(env.threads);
console.log(digest(trainSmallNet(steps, seed)));
