// Kernel cases of BatchNorm as a training step runs it: the forward pass that leaves the batch's statistics aside
// (forward_batch), and the commit that folds them into the running statistics unless the step was halted.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareBatchNormCommit, prepareBatchNormForwardBatch } from '../kernels/batchnorm.js';
import * as ref from '../reference/index.js';
import { EXACT, kcase, type KernelCase } from './harness.js';
import { BATCHNORM_SHAPES, normInput, normTol } from './training-cases.js';

const MOMENTUM = 0.25;

/** BatchNorm's inputs for one training step: x [B, D], gamma, beta, running mean and variance [D]. */
export interface BatchNormStepInputs {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

/**
 * Upload `inputs`, run forward_batch then the commit with the halt flag set to `halted`, and return every tensor
 * (outputs included) for reading back; destroy them with destroyAll().
 */
export async function runBatchNormStep(rt: Runtime, inputs: BatchNormStepInputs, B: number, D: number, halted: boolean, momentum = MOMENTUM) {
  const T = (data: Float32Array, shape: number[], label: string) => Tensor.from(rt, data, shape, label);
  const t = {
    x: T(inputs.x, [B, D], 'x'),
    gamma: T(inputs.gamma, [D], 'gamma'),
    beta: T(inputs.beta, [D], 'beta'),
    y: Tensor.zeros(rt, [B, D]),
    mean: Tensor.zeros(rt, [D]),
    rstd: Tensor.zeros(rt, [D]),
    batchStats: Tensor.zeros(rt, [2, D]),
    runningMean: T(inputs.runningMean, [D], 'running_mean'),
    runningVar: T(inputs.runningVar, [D], 'running_var'),
    control: new Tensor(rt, rt.upload(new Uint32Array([halted ? 1 : 0]), 'control'), [1], 'control'),
  };
  try {
    const ds = [await prepareBatchNormForwardBatch(rt, t), await prepareBatchNormCommit(rt, t, { momentum })];
    rt.run(ds);
    for (const d of ds) rt.release(d);
  } catch (e) {
    for (const v of Object.values(t)) v.destroy();
    throw e;
  }
  return { ...t, destroyAll: () => Object.values(t).forEach((v) => v.destroy()) };
}

/** forward_batch then commit, over the BatchNorm shapes, with the halt flag clear and set. */
export function batchNormGuardCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 7500;
  for (const [B, D, offset] of BATCHNORM_SHAPES) {
    for (const halted of [false, true]) {
      const tag = `${B}x${D}${offset ? ` mean ${offset}` : ''}${halted ? ' halted' : ''}`;
      const tol = normTol(B, offset);
      cases.push(
        kcase('batchnorm_commit', tag, ++seed, async (rt, rng, check) => {
          const inputs = {
            x: normInput(rng, B * D, offset),
            gamma: rng.floats(D, 0.5, 2),
            beta: rng.floats(D),
            runningMean: rng.floats(D),
            runningVar: rng.floats(D, 0.5, 2),
          };
          const { x, gamma, beta, runningMean: rm, runningVar: rv } = inputs;
          const want = ref.batchNormTrain(x, gamma, beta, rm, rv, B, D, { momentum: MOMENTUM });
          const stats = ref.batchNormBatchStats(x, B, D);
          // Filled once the step has run; the harness frees them (and the outputs) after reading back.
          const inputsOnGpu: Tensor[] = [];
          return check(inputsOnGpu, async () => {
            const t = await runBatchNormStep(rt, inputs, B, D, halted);
            inputsOnGpu.push(t.x, t.gamma, t.beta, t.control);
            const { y, mean, rstd, batchStats, runningMean, runningVar } = t;
            return [
              ['y', y, want.y, tol],
              ['mean', mean, want.mean, tol],
              ['rstd', rstd, want.rstd, tol],
              ['batch statistics', batchStats, [...stats.mean, ...stats.unbiasedVar], tol],
              // A halted step must leave every bit of the running statistics.
              ['runningMean', runningMean, halted ? rm : want.runningMean, halted ? EXACT : tol],
              ['runningVar', runningVar, halted ? rv : want.runningVar, halted ? EXACT : tol],
            ];
          });
        }),
      );
    }
  }
  return cases;
}
