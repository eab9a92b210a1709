import { defineConfig } from "vitest/config";

// Tests against a real Postfix and Dovecot (test/mta/servers.ts starts private ones): `npm run test:mta`.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  test: {
    include: ["test/mta/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
