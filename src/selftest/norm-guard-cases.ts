// Kernel cases of BatchNorm as a training step runs it: the forward pass that leaves the batch's statistics aside
// (forward_batch), and the commit that folds them into the running statistics unless the step was halted.
import { Tensor } from '../gpu/tensor.js';
import { prepareBatchNormCommit, prepareBatchNormForwardBatch } from '../kernels/batchnorm.js';
import * as ref from '../reference/index.js';
import { EXACT, kcase, type KernelCase } from './harness.js';
import { normInput, normTol } from './training-cases.js';

const MOMENTUM = 0.25;

/** forward_batch then commit, over the BatchNorm shapes, with the halt flag clear and set. */
export function batchNormGuardCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 7500;
  const shapes: [number, number, number][] = [
    [1, 5, 0],
    [2, 3, 0],
    [37, 13, 0],
    [300, 70, 0],
    [64, 9, 1000],
  ];
  for (const [B, D, offset] of shapes) {
    for (const halted of [false, true]) {
      const tag = `${B}x${D}${offset ? ` mean ${offset}` : ''}${halted ? ' halted' : ''}`;
      const tol = normTol(B, offset);
      cases.push(
        kcase('batchnorm_commit', tag, ++seed, async (rt, rng, check) => {
          const [x, g, b, rm, rv] = [normInput(rng, B * D, offset), rng.floats(D, 0.5, 2), rng.floats(D), rng.floats(D), rng.floats(D, 0.5, 2)];
          const want = ref.batchNormTrain(x, g, b, rm, rv, B, D, { momentum: MOMENTUM });
          const stats = ref.batchNormBatchStats(x, B, D);
          const T = (data: Float32Array, shape: number[], label: string) => Tensor.from(rt, data, shape, label);
          const t = {
            x: T(x, [B, D], 'x'),
            gamma: T(g, [D], 'gamma'),
            beta: T(b, [D], 'beta'),
            y: Tensor.zeros(rt, [B, D]),
            mean: Tensor.zeros(rt, [D]),
            rstd: Tensor.zeros(rt, [D]),
            batchStats: Tensor.zeros(rt, [2, D]),
            runningMean: T(rm, [D], 'running_mean'),
            runningVar: T(rv, [D], 'running_var'),
            control: new Tensor(rt, rt.upload(new Uint32Array([halted ? 1 : 0]), 'control'), [1], 'control'),
          };
          return check([t.x, t.gamma, t.beta, t.control], async () => {
            const ds = [await prepareBatchNormForwardBatch(rt, t), await prepareBatchNormCommit(rt, t, { momentum: MOMENTUM })];
            rt.run(ds);
            for (const d of ds) rt.release(d);
            return [
              ['y', t.y, want.y, tol],
              ['mean', t.mean, want.mean, tol],
              ['rstd', t.rstd, want.rstd, tol],
              ['batch statistics', t.batchStats, [...stats.mean, ...stats.unbiasedVar], tol],
              // A halted step must leave every bit of the running statistics.
              ['runningMean', t.runningMean, halted ? rm : want.runningMean, halted ? EXACT : tol],
              ['runningVar', t.runningVar, halted ? rv : want.runningVar, halted ? EXACT : tol],
            ];
          });
        }),
      );
    }
  }
  return cases;
}
