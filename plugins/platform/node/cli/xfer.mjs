#!/usr/bin/env node
// The `xfer` executable. The project ships TypeScript sources (they run unchanged under Deno), so
// the Node entry registers tsx's loader and then runs the CLI; no build step is needed.
import { register } from "tsx/esm/api";

register();
const { errorReport, verboseRequested } = await import("./error-report.ts");
// main() catches every error of a command. What escapes it (a stray rejection, a throw in a callback)
// is reported here, as one line, and ends the process: these listeners come before the wasm glue's
// own, which rethrow and print a screenful of its minified source.
for (const event of ["uncaughtException", "unhandledRejection"]) {
  process.on(event, (error) => {
    process.stderr.write(`${errorReport(error, verboseRequested(process.argv, process.env))}\n`);
    process.exit(1);
  });
}
// A reader that stops early (`xfer list | head`) closes the pipe: that ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
}
// tsx turns Node's source maps on, so that a stack names lines of the TypeScript. tfjs's bundles
// point to 16 MB of maps of their own, which Node would read and parse at every start (a fifth of
// `xfer --help`'s time): tfjs loads first with maps off, and its frames in a --verbose stack name
// lines of its shipped JavaScript; xfer's own frames still name lines of the .ts sources.
process.setSourceMapsEnabled(false);
await import("@tensorflow/tfjs");
process.setSourceMapsEnabled(true);
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
