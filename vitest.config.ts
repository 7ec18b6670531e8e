import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    reporters: ["default", "./conformance/results/reporter.ts"],
    testTimeout: 60_000,
    // Property tests and subprocess tests share two cores; more workers only thrash.
    maxWorkers: 2,
  },
});
