import { describe } from 'vitest';
import { MATMUL_VARIANTS } from '../src/index.js';
import { matmulCases } from '../src/selftest/cases.js';
import { itRunsCases } from './helpers/gpu.js';

for (const variant of MATMUL_VARIANTS) {
  describe(`matmul_${variant} against the CPU reference`, () => itRunsCases(matmulCases([variant])));
}
