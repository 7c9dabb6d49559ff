/** Child process of training.test.ts: trains the small net on wasm and prints the outcome's digest. */
import { selectBackend } from "../../plugins/runtime/tfjs/index.ts";
import { digest } from "./digest.ts";
import { trainSmallNet } from "./net.ts";

const [seed, steps] = process.argv.slice(2).map(Number);
await selectBackend({ prefer: "wasm" });
console.log(digest(trainSmallNet(steps, seed)));
