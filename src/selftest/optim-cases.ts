// Kernel cases of the optimizer updates: each configuration runs steps on a small model's parameter arena
// with seeded gradients, on the GPU and in the reference, and compares parameters and every state slot.
import type { Runtime } from '../gpu/runtime.js';
import { ArenaLayout } from '../nn/arena.js';
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
  ['adagrad, eps inside the root', () => adagrad({ lr: 0.1, epsilon: 'inside', eps: 1e-3 })],
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
  ['adamax, TensorFlow epsilon', () => adamax({ lr: 0.01, epsilon: 'tensorflow', eps: 1e-3 })],
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
      // Every case passes at a fifth of this on lavapipe (the centred RMSProp's momentum buffer is the closest);
      // each step's arithmetic on its own is held to rtol 1e-5 of the step by compareExact.
      const tol = { atol: 5e-7 * step, rtol: 5e-6 * Math.sqrt(step) };
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

/**
 * The problem of the exact comparison: weight matrices (decayed by default) starting at |theta| in [1.5, 3]
 * and a bias starting at exactly 0. Gradient magnitudes are log-uniform, 1e-6 to 1 on the weights and 1e-6 to
 * 1e2 on the bias, each element keeping its sign across steps (as near the start of a least-squares fit):
 * on a weight it is the sign of theta, so L2 decay g + wd theta never cancels (cancellation there is f32's
 * limit, not the update's), and the steps never carry a weight across 0.
 */
const EXACT_LAYOUT = new ArenaLayout([
  { name: '0.weight', shape: [8, 16], role: 'weight' },
  { name: '0.bias', shape: [16], role: 'bias' },
  { name: '1.weight', shape: [16, 4], role: 'weight' },
]);

/** Half an f32 unit in the last place of x: what storing x as f32 may cost at best. */
function halfUlp32(x: number): number {
  const a = Math.abs(x);
  return a < 2 ** -126 ? 2 ** -150 : 2 ** (Math.floor(Math.log2(a)) - 24);
}

/**
 * The GPU's step t against the rule evaluated in float64 (the reference on float64 arrays) from the GPU's own
 * parameters and state after step t - 1, read back, so f32 rounding of the state never accumulates into the
 * comparison. Per element: the parameter's change within rtol * max(|want change|, 1e-2), plus half an f32
 * ulp of the stored result; each state slot within rtol of its float64 value.
 */
export async function compareExact(rt: Runtime, def: OptimizerDef, checkAt: readonly number[], seed: number, rtol = 1e-5): Promise<CaseResult> {
  const layout = EXACT_LAYOUT;
  const rng = new Rng(seed);
  const init = new Float32Array(layout.length);
  const sign = new Float32Array(layout.length);
  const mag = new Float64Array(layout.length);
  for (const s of layout.segments) {
    for (let i = s.offset; i < s.offset + s.length; i++) {
      sign[i] = rng.next() < 0.5 ? -1 : 1;
      const weight = s.role === 'weight';
      if (weight) init[i] = sign[i]! * rng.uniform(1.5, 3);
      mag[i] = 10 ** rng.uniform(-6, weight ? 0 : 2);
    }
  }
  const t0 = performance.now();
  const runner = await UpdateRunner.create(rt, layout, def, init);
  const per = elementOptions(layout, def);
  const grad = new Float32Array(layout.length);
  let maxRel = 0;
  const byStep: string[] = [];
  const bad: string[] = [];
  try {
    for (let step = 1; step <= Math.max(...checkAt); step++) {
      for (let i = 0; i < grad.length; i++) grad[i] = mag[i] ? sign[i]! * mag[i]! * (1 + 0.3 * rng.uniform(-1, 1)) : 0;
      const lr = def.lr * (1 + 0.1 * Math.sin(step));
      const before = checkAt.includes(step) ? await runner.read() : null;
      runner.setGradient(grad);
      runner.step(lr);
      if (!before) continue;
      const got = await runner.read();
      const theta = Float64Array.from(before.params);
      const state = Object.fromEntries(def.state.map((s) => [s, Float64Array.from(before.state[s]!)]));
      referenceUpdate(def, theta, grad, state, per, step, lr);
      const checks: [string, Float32Array, Float64Array, Float32Array | null][] = [
        ['parameters', got.params, theta, before.params],
        ...def.state.map((s) => [`state '${s}'`, got.state[s]!, state[s]!, null] as [string, Float32Array, Float64Array, null]),
      ];
      let stepRel = 0;
      for (const [what, g, w, prev] of checks) {
        const pairs: string[] = [];
        let count = 0;
        for (let i = 0; i < w.length; i++) {
          const scale = prev ? Math.max(Math.abs(w[i]! - prev[i]!), 1e-2) : Math.abs(w[i]!);
          const err = Math.abs(g[i]! - w[i]!);
          stepRel = Math.max(stepRel, (err - halfUlp32(w[i]!)) / scale);
          if (!(err <= rtol * scale + halfUlp32(w[i]!))) {
            count++;
            if (pairs.length < 3) pairs.push(`[${i}] got ${g[i]} want ${w[i]}${prev ? ` (from ${prev[i]})` : ''}, rel err ${(err / scale).toExponential(2)}`);
          }
        }
        if (count) bad.push(`${what} at step ${step}: ${count}/${w.length} off: ${pairs.join('; ')}`);
      }
      byStep.push(`step ${step}: ${stepRel.toExponential(2)}`);
      maxRel = Math.max(maxRel, stepRel);
    }
  } finally {
    runner.destroy();
  }
  const message = `${def.name} seed=${seed}: max relative error (rtol ${rtol}) ${byStep.join(', ')}${bad.length ? `; ${bad.join('; ')}` : ''}`;
  return { pass: bad.length === 0, maxAbsErr: maxRel, ms: performance.now() - t0, message };
}
