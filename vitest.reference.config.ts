import { defineConfig } from "vitest/config";

// Checks against ../shared/reference (present in CI and on developer machines, not in a bare clone).
export default defineConfig({
  test: {
    include: ["test/reference/**/*.test.ts"],
    testTimeout: 120_000,
    pool: "forks",
  },
});
