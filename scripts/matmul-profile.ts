// Matmul profile: GPU-timestamp GFLOP/s of chosen variants on square products, timed in interleaved rounds
// (A B C A B C ..., the order rotated each round) so load from other work hits them alike; the fastest round is
// kept. Run: npx vitest run --config scripts/profile.config.ts scripts/matmul-profile.ts
// Environment: PROFILE_SIZES=384,512,1024  PROFILE_VARIANTS=gemm,tiled,subgroup  PROFILE_ROUNDS=5
// PROFILE_TRANS=,A^T,B^T (transpositions, '' for plain)
import { it } from 'vitest';
import { timeDispatches } from '../src/bench/timing.js';
import type { Dispatch } from '../src/gpu/kernel.js';
import { Tensor } from '../src/gpu/tensor.js';
import { MATMUL_VARIANTS, prepareMatmul, type MatmulVariant } from '../src/kernels/matmul.js';
import { createRuntime, Rng } from '../src/index.js';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const sizes = env('PROFILE_SIZES', '384,512,1024').split(',').map(Number);
const variants = env('PROFILE_VARIANTS', 'gemm,tiled,subgroup').split(',') as MatmulVariant[];
const rounds = Number(env('PROFILE_ROUNDS', '5'));
const modes = env('PROFILE_TRANS', '').split(',');

it('profiles matmul variants', async () => {
  for (const v of variants) if (!MATMUL_VARIANTS.includes(v)) throw new Error(`unknown variant '${v}'; expected some of ${MATMUL_VARIANTS.join(', ')}`);
  const rt = await createRuntime({ tuning: 'off' });
  const report = [
    `adapter: ${rt.description || '(no name reported)'}; ${rounds} interleaved rounds, fastest kept; GFLOP/s by ${rt.features.has('timestamp-query') ? 'GPU timestamps' : 'wall clock'}`,
  ];
  const rng = new Rng(11);
  for (const n of sizes) {
    for (const mode of modes) {
      const [transA, transB] = [mode === 'A^T', mode === 'B^T'];
      const t = { a: Tensor.from(rt, rng.floats(n * n), [n, n]), b: Tensor.from(rt, rng.floats(n * n), [n, n]), c: Tensor.zeros(rt, [n, n]) };
      const ds: Dispatch[] = [];
      for (const variant of variants) ds.push(await prepareMatmul(rt, t, { variant, transA, transB }));
      const samples: number[][] = variants.map(() => []);
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < ds.length; i++) {
          const k = (i + r) % ds.length;
          samples[k]!.push((await timeDispatches(rt, [ds[k]!], { repetitions: 3, targetMs: 40 })).min);
        }
      }
      const cells = variants.map((v, i) => {
        const ms = Math.min(...samples[i]!);
        return `${v} ${((2 * n ** 3) / (ms * 1e6)).toFixed(2)} (${ms.toFixed(2)} ms)`;
      });
      report.push(`${`${n}x${n}x${n} ${mode}`.padEnd(18)} ${cells.join('  ')}`);
      ds.forEach((d) => rt.release(d));
      Object.values(t).forEach((x) => x.destroy());
    }
  }
  console.log(report.join('\n'));
  rt.destroy();
});
