#!/usr/bin/env node
// The `xfer` executable. The project ships TypeScript sources (they run unchanged under Deno), so
// the Node entry registers tsx's loader and then runs the CLI; no build step is needed.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
