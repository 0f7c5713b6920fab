// Runs the profiling scripts (scripts/*-profile.ts) with vitest, outside the test suite:
// npx vitest run --config scripts/profile.config.ts
import { defineConfig } from 'vite';

export default defineConfig({
  test: { include: ['scripts/*-profile.ts'], pool: 'forks', testTimeout: 1_200_000, reporters: ['default'] },
});
