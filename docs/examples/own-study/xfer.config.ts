import { defineConfig } from "xfer";

export default defineConfig({
  // Module specifiers are relative to this file (or package names); each module's exported plugins join the built-ins.
  plugins: ["./plugins/json-labels.ts"],
  dataRoots: { "json-labels": "./data" },
});
