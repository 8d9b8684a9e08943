import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files share the host's Mosquitto and PostgreSQL; each uses its own topics/schema,
    // but running two fault tests at once on 2 cores makes them flaky, so files run one at a time.
    fileParallelism: false,
    reporters: ["default", "./test/plain-summary-reporter.ts"],
  },
});
