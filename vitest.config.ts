import { defineConfig } from "vitest/config";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    exclude: ["test/e2e/**", "test/mta/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // PostgreSQL tests share one database: files run one at a time when TEST_DATABASE_URL is set.
    fileParallelism: !process.env.TEST_DATABASE_URL,
  },
});
