// A benchmark report with no figures but those given, for tests of what is built from one.
import type { BenchReport } from '../../src/bench/suite.js';

export const reportOf = (more: Partial<BenchReport>): BenchReport => ({
  descent: '0.1.0',
  adapter: 'test adapter',
  features: [],
  environment: 'test',
  date: '2025-01-01T00:00:00Z',
  tuning: null,
  peers: [],
  matmul: [],
  memory: [],
  conv: [],
  training: [],
  gpt: [],
  coldStart: null,
  ...more,
});
