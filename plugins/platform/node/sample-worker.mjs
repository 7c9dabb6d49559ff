// A sample worker thread (sample-workers.ts): the project ships TypeScript, so the thread registers
// tsx's loader, as the `xfer` executable does, before it loads the worker's code.
import { register } from "tsx/esm/api";

register();
await import("./sample-worker.ts");
