// The suites must catch broken kernels: each mutation below plants a classic bug in one shader, and the
// same cases that pass on the real shader must then fail.
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, shaderSource, type Runtime } from '../src/index.js';
import { activationCases, elementwiseCases, matmulCases, type KernelCase } from '../src/selftest/cases.js';

interface Mutation {
  shader: string;
  what: string;
  edits: [from: string, to: string][];
  cases: () => KernelCase[];
}

const MUTATIONS: Mutation[] = [
  { shader: 'matmul_naive', what: 'K loop stops one short', edits: [['k < params.K;', 'k + 1u < params.K;']], cases: () => matmulCases(['naive']) },
  { shader: 'matmul_blocked', what: 'K loop stops one short', edits: [['k < params.K;', 'k + 1u < params.K;']], cases: () => matmulCases(['blocked']) },
  { shader: 'matmul_tiled', what: 'inner tile loop off by one', edits: [['kk < BK;', 'kk < BK - 1u;']], cases: () => matmulCases(['tiled']) },
  { shader: 'matmul_tiled', what: 'ragged K tile read past K', edits: [['k0 + ak < params.K', 'true'], ['k0 + bk < params.K', 'true']], cases: () => matmulCases(['tiled']) },
  { shader: 'matmul_blocked', what: 'bias added twice', edits: [['v += bias[j];', 'v += 2.0 * bias[j];']], cases: () => matmulCases(['blocked']) },
  { shader: 'activation_grad', what: 'sigmoid derivative sign', edits: [['return s * (1.0 - s);', 'return s * (1.0 + s);']], cases: activationCases },
  { shader: 'activation', what: 'leaky slope ignored', edits: [['select(slope * x, x, x > 0.0)', 'select(0.01 * x, x, x > 0.0)']], cases: activationCases },
  { shader: 'elementwise', what: 'last element skipped', edits: [['if (i >= params.n) {', 'if (i + 1u >= params.n) {']], cases: elementwiseCases },
];

const runtimes: Runtime[] = [];
afterAll(() => runtimes.forEach((rt) => rt.destroy()));

describe('planted bugs fail the kernel suites', () => {
  for (const m of MUTATIONS) {
    it(`${m.shader}: ${m.what}`, async () => {
      let code = shaderSource(m.shader);
      for (const [from, to] of m.edits) {
        expect(code.includes(from), `pattern '${from}' not in ${m.shader}`).toBe(true);
        code = code.split(from).join(to);
      }
      const rt = await createRuntime();
      runtimes.push(rt);
      rt.registerShader(m.shader, code);
      const cases = m.cases().filter((c) => c.kernel === m.shader || c.kernel === m.shader.replace('elementwise', 'add'));
      expect(cases.length).toBeGreaterThan(0);
      let failed = 0;
      for (const c of cases) if (!(await c.run(rt)).pass) failed++;
      expect(failed, `${failed}/${cases.length} cases caught '${m.what}'`).toBeGreaterThan(0);
    });
  }
});
