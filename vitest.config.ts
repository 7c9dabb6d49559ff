import { availableParallelism } from "node:os";
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
    // Vitest's default is one file fewer than the cores: one at a time on the 2-core machines the
    // suite's budget is for, where many files mostly wait on child processes, npm and SLURM.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // One folder per run where the files that test the installed package share one packed and
    // installed xfer (test/helpers/installed-xfer.ts).
    globalSetup: ["test/helpers/xfer-package-setup.ts"],
  },
});
