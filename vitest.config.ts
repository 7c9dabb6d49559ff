import { defineConfig } from "vitest/config";

// `npm test` must pass without ../shared beside the clone; suites that read it live in
// test/reference and run through `npm run test:reference` (vitest.reference.config.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/reference/**", "test/deno/**", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One folder per run where the files that test the installed package share one packed and
    // installed xfer (test/helpers/installed-xfer.ts).
    globalSetup: ["test/helpers/xfer-package-setup.ts"],
  },
});
