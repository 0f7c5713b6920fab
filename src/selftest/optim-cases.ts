// Kernel cases of the optimizer updates: each configuration runs steps on a small model's parameter arena
// with seeded gradients, on the GPU and in the reference, and compares parameters and every state slot.
import type { Runtime } from '../gpu/runtime.js';
import { dense, layerNorm } from '../nn/layers.js';
import { sequential } from '../nn/model.js';
import { adadelta, adagrad, adam, adamax, adamw, lion, momentum, nesterov, rmsprop, sgd } from '../optim/index.js';
import { elementOptions, referenceState, referenceUpdate, type OptimizerDef } from '../optim/optimizer.js';
import { UpdateRunner } from '../optim/runner.js';
import { allclose } from '../util/allclose.js';
import { Rng } from '../util/rng.js';
import type { CaseResult, KernelCase } from './harness.js';

/** Configurations covering every optimizer and every option that changes its shader or its math. */
export const OPTIMIZER_CONFIGS: [string, () => OptimizerDef][] = [
  ['sgd', () => sgd({ lr: 0.1 })],
  ['sgd, L2 decay, clipping', () => sgd({ lr: 0.1, weightDecay: 0.01, clipNorm: 0.5 })],
  ['momentum', () => momentum({ lr: 0.05, momentum: 0.9 })],
  ['momentum with dampening', () => momentum({ lr: 0.05, momentum: 0.8, dampening: 0.3 })],
  ['nesterov, L2 decay', () => nesterov({ lr: 0.05, momentum: 0.9, weightDecay: 1e-3 })],
  ['adagrad', () => adagrad({ lr: 0.1 })],
  ['adagrad, TensorFlow accumulator, lr decay', () => adagrad({ lr: 0.1, initialAccumulator: 0.1, lrDecay: 0.01 })],
  ['adadelta', () => adadelta()],
  ['rmsprop', () => rmsprop({ lr: 0.01 })],
  ['rmsprop centred with momentum', () => rmsprop({ lr: 0.01, centered: true, momentum: 0.9 })],
  ['rmsprop, eps inside the root', () => rmsprop({ lr: 0.01, epsilon: 'inside', alpha: 0.9 })],
  ['adam', () => adam({ lr: 0.01 })],
  ['adam amsgrad, L2 decay, clipping', () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.01, clipNorm: 1 })],
  ['adam, TensorFlow epsilon', () => adam({ lr: 0.01, epsilon: 'tensorflow', eps: 1e-7 })],
  ['adamw', () => adamw({ lr: 0.01, weightDecay: 0.1 })],
  ['adamw, parameter groups, decay on all', () => adamw({ lr: 0.01, decayAll: true, groups: [{ match: /^0\./, lrScale: 0.1, weightDecay: 0.5 }] })],
  ['adamax', () => adamax()],
  ['lion', () => lion({ lr: 1e-3, weightDecay: 0.1 })],
];

const MODEL = sequential(7, [dense(13, { activation: 'relu' }), layerNorm(), dense(5)], { seed: 4 });

/**
 * Run `def` for `steps` steps on GPU and reference from the same parameters and seeded gradients (every 7th
 * step five times larger, so clipping acts; the rate varies per step, as under a schedule), comparing at each
 * step in `checkAt`. Returns the worst comparison.
 */
export async function compareUpdate(rt: Runtime, def: OptimizerDef, checkAt: readonly number[], seed: number): Promise<CaseResult> {
  const layout = MODEL.layout;
  const init = MODEL.initialParameters();
  const t0 = performance.now();
  const runner = await UpdateRunner.create(rt, layout, def, init);
  const theta = Float32Array.from(init);
  const state = referenceState(def, layout.length);
  const per = elementOptions(layout, def);
  const rng = new Rng(seed);
  const grad = new Float32Array(layout.length);
  let maxAbsErr = 0;
  const bad: string[] = [];
  try {
    const last = Math.max(...checkAt);
    for (let step = 1; step <= last; step++) {
      const scale = step % 7 === 0 ? 5 : 1;
      for (const s of layout.segments) for (let i = 0; i < s.length; i++) grad[s.offset + i] = scale * rng.uniform(-1, 1);
      runner.setGradient(grad);
      const lr = def.lr * (1 + 0.1 * Math.sin(step));
      runner.step(lr);
      referenceUpdate(def, theta, grad, state, per, step, lr);
      if (!checkAt.includes(step)) continue;
      const got = await runner.read();
      const tol = { atol: 1e-6 * step, rtol: 1e-5 * Math.sqrt(step) };
      for (const [what, g, w] of [['parameters', got.params, theta], ...def.state.map((s) => [`state '${s}'`, got.state[s]!, state[s]!] as const)] as const) {
        const r = allclose(g, w, tol);
        maxAbsErr = Math.max(maxAbsErr, r.maxAbsErr);
        if (!r.ok) bad.push(`${what} after ${step} steps: ${r.detail}`);
      }
    }
  } finally {
    runner.destroy();
  }
  const message = `${def.name} seed=${seed}: max |err| ${maxAbsErr.toExponential(2)}${bad.length ? `; ${bad.join('; ')}` : ''}`;
  return { pass: bad.length === 0, maxAbsErr, ms: performance.now() - t0, message };
}

/** Every optimizer configuration, 10 steps. */
export function optimizerCases(): KernelCase[] {
  return OPTIMIZER_CONFIGS.map(([name, make], i) => {
    const def = make();
    return { kernel: def.shader, shape: `${name}, 10 steps`, seed: 4000 + i, run: (rt) => compareUpdate(rt, def, [1, 10], 4000 + i) };
  });
}
