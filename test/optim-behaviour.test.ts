// Optimizers doing their job: the Rosenbrock valley on the GPU, Nesterov's two forms, one update dispatch
// per step, typed errors for bad hyper-parameters, schedules, per-tensor options, state across checkpoints.
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/core/errors.js';
import { dense, layerNorm } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  constant,
  cosine,
  exponential,
  linearWarmup,
  lion,
  momentum,
  nesterov,
  OPTIMIZERS,
  rmsprop,
  sgd,
  stepDecay,
  tensorOptions,
  type OptimizerDef,
} from '../src/optim/index.js';
import { ArenaLayout } from '../src/nn/arena.js';
import { checkLearningRate, checkOptimizer } from '../src/optim/optimizer.js';
import { UpdateRunner } from '../src/optim/runner.js';
import { finalDistance, optimizeOnSurface, optimizeOnSurfaceReference } from '../src/optim/surface.js';
import { stepUniforms } from '../src/optim/update.js';
import { nesterovClassical } from '../src/reference/optim.js';
import { surfaceGradient } from '../src/reference/surface.js';
import { spiral } from '../src/data/synthetic.js';
import { Network } from '../src/train/network.js';
import { loadSafetensors, saveSafetensors } from '../src/train/checkpoint.js';
import { gpu } from './helpers/gpu.js';

// Rosenbrock (1 - x)^2 + 100 (y - x^2)^2 from (-1.5, 2): tuned hyper-parameters and step counts for each
// optimizer to end within 0.01 of the minimum (1, 1), on the GPU.
const ROSENBROCK: [string, OptimizerDef, number][] = [
  ['sgd', sgd({ lr: 2e-3 }), 20000],
  ['momentum', momentum({ lr: 1e-3, momentum: 0.9 }), 3000],
  ['nesterov', nesterov({ lr: 1e-3, momentum: 0.9 }), 3000],
  ['adagrad', adagrad({ lr: 1.5 }), 10000],
  ['adadelta', adadelta({ lr: 0.3, rho: 0.9, eps: 1e-8 }), 30000],
  ['rmsprop', rmsprop({ lr: 3e-3 }), 10000],
  ['rmsprop (centred, momentum 0.9)', rmsprop({ lr: 1e-3, centered: true, momentum: 0.9 }), 5000],
  ['adam', adam({ lr: 0.05 }), 3000],
  ['adamw', adamw({ lr: 0.05 }), 3000],
  ['amsgrad', adam({ lr: 0.05, amsgrad: true }), 3000],
  ['adamax', adamax({ lr: 0.05 }), 5000],
  ['lion', lion({ lr: 1e-3 }), 5000],
];

describe('each optimizer minimises the Rosenbrock function from (-1.5, 2) on the GPU', () => {
  const rows: string[] = [];
  for (const [name, def, steps] of ROSENBROCK) {
    it(`${name}: within 0.01 of (1, 1) in ${steps} steps`, async () => {
      const rt = await gpu();
      const path = await optimizeOnSurface(rt, def, 'rosenbrock', { start: [-1.5, 2], steps });
      const d = finalDistance(path, [1, 1]);
      rows.push(`| ${name} | ${JSON.stringify(def.options)} | ${steps} | ${d.toExponential(2)} |`);
      expect(d).toBeLessThan(0.01);
      // The GPU path follows the reference's: same point after the first 100 steps.
      const ref = optimizeOnSurfaceReference(def, 'rosenbrock', { start: [-1.5, 2], steps: 100 });
      const k = 100 * 3;
      expect(Math.hypot(path.xy[k]! - ref.xy[k]!, path.xy[k + 1]! - ref.xy[k + 1]!)).toBeLessThan(1e-3);
    }, 60_000);
  }
  it('table', () => console.log(['| optimizer | options | steps | distance to (1, 1) |', '|---|---|---|---|', ...rows].join('\n')));
});

describe("TensorFlow.js's adadelta", () => {
  it('moves exactly as SGD with its learning rate', async () => {
    // It divides by the root of the squared-gradient average from before this step's gradient; both averages
    // start at 0 and then take identical updates, so the ratio of the roots is exactly 1 at every step.
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const lr = 0.1;
    // The gradient of theta1^2 + 3 theta2^2, given to both.
    const x = tf.variable(tf.tensor1d([1, -2]));
    const opt = tf.train.adadelta(lr, 0.95, 1e-6);
    const theta = Float32Array.of(1, -2);
    for (let k = 1; k <= 5; k++) {
      const g = [2 * theta[0]!, 6 * theta[1]!].map(Math.fround);
      const grad = tf.tensor1d(g);
      opt.applyGradients([{ name: x.name, tensor: grad }]);
      grad.dispose();
      for (let i = 0; i < 2; i++) theta[i] = theta[i]! + Math.fround(g[i]! * Math.fround(-lr));
      expect(Array.from(x.dataSync()), `step ${k}`).toEqual(Array.from(theta));
    }
    opt.dispose();
    x.dispose();
  });
});

describe("Nesterov's two forms", () => {
  it('the stored-parameter form visits the look-ahead points of the classical form', () => {
    const [lr, gamma, steps] = [1e-3, 0.9, 50];
    const grad = (p: number[]) => surfaceGradient('rosenbrock', p[0]!, p[1]!);
    const classical = nesterovClassical(grad, [-1.5, 2], steps, lr, gamma);
    // The stored form: phi = theta - gamma v, updated with the gradient at phi only (PyTorch's nesterov=True).
    const def = nesterov({ lr, momentum: gamma });
    const stored = optimizeOnSurfaceReference(def, 'rosenbrock', { start: [-1.5, 2], steps });
    // Recover v_k = theta_{k-1} - theta_k from the classical path, then phi_k = theta_k - gamma v_k.
    for (let k = 1; k <= steps; k++) {
      const [t, prev] = [classical[k]!, classical[k - 1]!];
      const phi = [t[0]! - gamma * (prev[0]! - t[0]!), t[1]! - gamma * (prev[1]! - t[1]!)];
      // Both start from v_0 = 0, so phi_0 = theta_0; PyTorch's buffer is the classical v divided by lr.
      expect(Math.abs(stored.xy[3 * k]! - phi[0]!), `x at step ${k}`).toBeLessThan(1e-5);
      expect(Math.abs(stored.xy[3 * k + 1]! - phi[1]!), `y at step ${k}`).toBeLessThan(1e-5);
    }
  });
});

describe('one optimizer dispatch per training step', () => {
  for (const [name, def] of [
    ['sgd', sgd({ lr: 0.1 })],
    ['adam with clipping', adam({ lr: 0.01, clipNorm: 1 })],
    ['rmsprop centred', rmsprop({ centered: true, momentum: 0.9 })],
  ] as const) {
    it(name, async () => {
      const rt = await gpu();
      const net = await Network.compile(rt, sequential(2, [dense(8, { activation: 'relu' }), dense(3)], { seed: 1 }), {
        loss: 'cross_entropy',
        optimizer: def,
      });
      const plan = await net.plan(16, true);
      const updates = plan.dispatches.filter((d) => d.label.startsWith('update:'));
      expect(updates.length).toBe(1);
      expect(updates[0]!.kernel.shader.name).toBe(def.shader);
      // Clipping reads the global norm the telemetry reduction already computes: no extra dispatch.
      expect(plan.dispatches.filter((d) => d.label.startsWith('telemetry')).length).toBe(2);
      await net.destroy();
    });
  }
});

describe('bad hyper-parameters are typed errors naming the option and its range', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => sgd({ lr: -1 }), /sgd: learning rate \(lr\) must be a finite number >= 0 and <= 3.4e38 \(f32\), got -1/],
    [() => adam({ lr: NaN }), /adam: learning rate \(lr\) must be a finite number >= 0 and <= 3.4e38 \(f32\), got null/],
    [() => sgd({ lr: 1e39 }), /sgd: learning rate \(lr\) must be .* <= 3.4e38 \(f32\), got 1e\+39/],
    [() => sgd({ lr: '0.1' } as never), /sgd: learning rate \(lr\) must be a finite number .*, got "0.1"/],
    [() => adam({ eps: null } as never), /adam: 'eps' must be a finite number >= 1.2e-38 and <= 3.4e38 \(f32\), got null/],
    [() => adam({ eps: 1e-50 }), /adam: 'eps' must be a finite number >= 1.2e-38/],
    [() => adagrad({ lrDecay: 'fast' } as never), /adagrad: 'lrDecay' must be a finite number >= 0/],
    [() => rmsprop({ centered: 1 } as never), /rmsprop: 'centered' must be true or false, got 1/],
    [() => sgd({ clipNorm: 1e40 }), /sgd: 'clipNorm' must be a finite number >= 0 and <= 3.4e38/],
    [() => adagrad({ epsilon: 'under' } as never), /adagrad: 'epsilon' must be one of 'outside', 'inside'/],
    [() => adamax({ epsilon: 'keras' } as never), /adamax: 'epsilon' must be one of 'pytorch', 'tensorflow'/],
    [() => adam({ betas: [0.9, 1] }), /adam: 'betas' must be two numbers, each in \[0, 1\), got \[0.9,1\]/],
    [() => adamw({ eps: 0 }), /adamw: 'eps' must be a finite number >= 1.2e-38 and <= 3.4e38 \(f32\), got 0/],
    [() => adadelta({ rho: 1.5 }), /adadelta: 'rho' must be in \[0, 1\), got 1.5/],
    [() => rmsprop({ alpha: -0.1 }), /rmsprop: 'alpha' must be in \[0, 1\)/],
    [() => momentum({ momentum: 1 }), /momentum: 'momentum' must be in \[0, 1\)/],
    [() => nesterov({ momentum: 0 }), /nesterov: needs momentum > 0/],
    [() => adam({ beta1: 0.9 } as never), /adam: unknown option 'beta1'; valid options: .*betas/],
    [() => lion({ weightDecay: -1 }), /lion: 'weightDecay' must be a finite number >= 0/],
    [() => rmsprop({ epsilon: 'middle' } as never), /rmsprop: 'epsilon' must be one of 'outside', 'inside'/],
    [() => adam({ groups: [{ match: /bias/, lrScale: -2 }] }), /adam: groups\[0\].lrScale must be/],
    [() => cosine({ lr: 0.1, steps: 0 }), /cosine: steps must be a finite number > 0/],
  ];
  cases.forEach(([make, message], i) =>
    it(`case ${i + 1}: ${message.source.slice(0, 40)}`, () => {
      expect(make).toThrow(OptionError);
      expect(make).toThrow(message);
    }),
  );
});

describe('what is not an optimizer, its options or a rate is an OptionError', () => {
  it('every factory given null, a number, an array or a string instead of its options', () => {
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      for (const bad of [null, 0.01, [0.01], 'fast']) {
        const call = () => make(bad as never);
        expect(call, `${name}(${JSON.stringify(bad)})`).toThrow(OptionError);
        expect(call, `${name}(${JSON.stringify(bad)})`).toThrow(new RegExp(`${name}: options must be an object such as \\{ lr: 0.01 \\}, got`));
      }
    }
  });

  it('an object given as an optimizer must be one a factory made', () => {
    const cases: [unknown, RegExp][] = [
      [{}, /compile: optimizer: not an optimizer: 'name' should be a string; make one with a factory such as sgd/],
      [adam, /compile: optimizer: got the function adam, not an optimizer; call it: adam\(\)/],
      [null, /compile: optimizer: optimizer must be an object/],
      [{ ...sgd(), shader: 3 }, /'shader' should be a string/],
      [{ ...sgd(), state: 'velocity' }, /'state' and 'groups' should be arrays/],
      [{ ...sgd(), lr: 1e39 }, /compile: optimizer \(sgd\): learning rate must be a finite number >= 0 and <= 3.4e38 \(f32\), got 1e\+39/],
      [{ ...adam(), weightDecay: -1 }, /'weightDecay' must be a finite number >= 0/],
    ];
    for (const [def, message] of cases) {
      expect(() => checkOptimizer(def, 'compile: optimizer')).toThrow(OptionError);
      expect(() => checkOptimizer(def, 'compile: optimizer')).toThrow(message);
    }
    for (const make of Object.values(OPTIMIZERS)) {
      const def = make();
      expect(checkOptimizer(def, 'compile: optimizer')).toBe(def);
    }
  });

  it("a step's learning rate (a schedule's value) must be a finite f32 >= 0", () => {
    expect(checkLearningRate(0.1, 'fit: learningRate at step 3')).toBe(0.1);
    expect(checkLearningRate(3.4e38, 'fit: learningRate at step 3')).toBe(3.4e38);
    for (const bad of [1e39, Infinity, NaN, -1e-3, '0.1', undefined]) {
      expect(() => checkLearningRate(bad, 'fit: learningRate at step 3'), String(bad)).toThrow(
        /fit: learningRate at step 3: learning rate must be a finite number >= 0 and <= 3.4e38 \(f32\)/,
      );
    }
  });

  it('a per-step value that would not be a finite f32 is an OptionError before the step is counted or submitted', async () => {
    // Adam's first step divides lr by 1 - beta1 = 0.1: a rate of 1e38 would reach the GPU as Inf.
    expect(() => stepUniforms(adam(), { step: 1, lr: 1e38 })).toThrow(
      /adam: step_lr at step 1 must be a finite number >= 0 and <= 3.4e38 \(f32\), got 1\.0+\d*e\+39/,
    );
    expect(stepUniforms(adam(), { step: 1, lr: 1e36 }).step_lr).toBeCloseTo(1e37, -30);
    const rt = await gpu();
    const runner = await UpdateRunner.create(rt, new ArenaLayout([{ name: 'x', shape: [4] }]), sgd({ lr: 0.1 }), new Float32Array(64));
    try {
      expect(() => runner.step(1e39)).toThrow(OptionError);
      expect(() => runner.step(-1)).toThrow(/sgd: learning rate at step 1 must be a finite number >= 0/);
      expect(runner.steps).toBe(0);
      runner.setGradient(new Float32Array(64).fill(1));
      runner.step(0.5);
      expect(runner.steps).toBe(1);
      expect((await runner.read()).params.subarray(0, 4)).toEqual(Float32Array.of(-0.5, -0.5, -0.5, -0.5));
    } finally {
      runner.destroy();
    }
  });
});

describe('learning-rate schedules', () => {
  it('constant, step decay, exponential, cosine, linear warm-up', () => {
    expect([1, 2, 3].map(constant(0.1))).toEqual([0.1, 0.1, 0.1]);
    expect([1, 10, 11, 21].map(stepDecay({ lr: 1, every: 10, gamma: 0.5 }))).toEqual([1, 1, 0.5, 0.25]);
    expect(exponential({ lr: 2, gamma: 0.5 })(3)).toBe(0.5);
    const c = cosine({ lr: 1, steps: 100, minLr: 0.1 });
    expect(c(1)).toBe(1);
    expect(c(51)).toBeCloseTo(0.55, 12);
    expect(c(101)).toBeCloseTo(0.1, 12);
    expect(c(500)).toBeCloseTo(0.1, 12);
    const w = linearWarmup(constant(1), 4);
    expect([1, 2, 3, 4, 5].map(w)).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });

  it('a schedule changes the rate of every step without recompiling anything', async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, sequential(2, [dense(8, { activation: 'relu' }), dense(3)], { seed: 1 }), {
      loss: 'cross_entropy',
      optimizer: adam({ lr: 0.01 }),
    });
    await net.fit(spiral({ n: 60, seed: 1 }), { epochs: 1, batchSize: 10 });
    const device = rt.device as unknown as Record<string, unknown>;
    const original = device.createComputePipelineAsync as (...a: unknown[]) => unknown;
    let compiles = 0;
    device.createComputePipelineAsync = (...a: unknown[]) => (compiles++, original.apply(rt.device, a));
    try {
      await net.fit(spiral({ n: 60, seed: 1 }), { epochs: 3, batchSize: 10, learningRate: linearWarmup(cosine({ lr: 0.01, steps: 18 }), 3) });
    } finally {
      device.createComputePipelineAsync = original;
    }
    expect(compiles).toBe(0);
    await net.destroy();
  });
});

describe('per-tensor options', () => {
  const model = sequential(4, [dense(6, { activation: 'relu' }), layerNorm(), dense(2)], { seed: 1 });
  const seg = (name: string) => model.layout.get(name);

  it('weight decay applies to weight matrices only, unless asked', () => {
    const def = adamw({ weightDecay: 0.1 });
    expect(tensorOptions(def, seg('0.weight')).weightDecay).toBe(0.1);
    for (const n of ['0.bias', '2.weight', '2.bias', '3.bias']) expect(tensorOptions(def, seg(n)).weightDecay, n).toBe(0);
    expect(tensorOptions(adamw({ weightDecay: 0.1, decayAll: true }), seg('2.weight')).weightDecay).toBe(0.1);
  });

  it('parameter groups set their own learning rate and decay; first match wins', () => {
    const def = sgd({
      lr: 0.1,
      weightDecay: 0.01,
      groups: [
        { match: '3.weight', lrScale: 0.5 },
        { match: /^3\./, weightDecay: 0.2 },
      ],
    });
    expect(tensorOptions(def, seg('3.weight'))).toEqual({ lrScale: 0.5, weightDecay: 0.01 });
    expect(tensorOptions(def, seg('3.bias'))).toEqual({ lrScale: 1, weightDecay: 0.2 });
    expect(tensorOptions(def, seg('0.bias'))).toEqual({ lrScale: 1, weightDecay: 0 });
  });
});

describe('optimizer state', () => {
  it('is saved and loaded with the parameters: training resumes exactly where it left off', async () => {
    const rt = await gpu();
    const make = (seed: number) => sequential(2, [dense(8, { activation: 'tanh' }), dense(3)], { seed });
    const data = spiral({ n: 48, seed: 3 });
    const a = await Network.compile(rt, make(1), { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }) });
    await a.fit(data, { epochs: 2, batchSize: 16, shuffle: false });
    const bytes = await saveSafetensors(a);
    const b = await Network.compile(rt, make(2), { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }) });
    loadSafetensors(b, bytes);
    expect(b.optimizerSteps).toBe(6);
    const [sa, sb] = [await a.optimizerState(), await b.optimizerState()];
    for (const slot of ['exp_avg', 'exp_avg_sq']) {
      for (const name of Object.keys(sa[slot]!)) expect(sb[slot]![name]!.data).toEqual(sa[slot]![name]!.data);
    }
    await a.fit(data, { epochs: 1, batchSize: 16, shuffle: false });
    await b.fit(data, { epochs: 1, batchSize: 16, shuffle: false });
    const [pa, pb] = [await a.parameters(), await b.parameters()];
    for (const k of Object.keys(pa)) expect(pb[k]!.data).toEqual(pa[k]!.data);
    await a.destroy();
    await b.destroy();
  });

  it('is reset or kept explicitly when the optimizer changes', async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, sequential(2, [dense(4), dense(2)], { seed: 1 }), { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }) });
    const data = spiral({ n: 20, classes: 2, seed: 1 });
    await net.fit(data, { epochs: 1, batchSize: 10 });
    const before = await net.optimizerState();
    await net.setOptimizer(adam({ lr: 0.01, amsgrad: true }), { state: 'keep' });
    expect(net.optimizerSteps).toBe(2);
    const kept = await net.optimizerState();
    expect(kept.exp_avg!['0.weight']!.data).toEqual(before.exp_avg!['0.weight']!.data);
    expect(kept.max_exp_avg_sq).toBeDefined();
    await expect(net.setOptimizer(rmsprop(), { state: 'keep' })).rejects.toThrow(
      /rmsprop keeps square_avg and adam \(amsgrad\) keeps exp_avg, exp_avg_sq, max_exp_avg_sq: no state to carry over/,
    );
    await net.setOptimizer(momentum({ lr: 0.1 }));
    expect(net.optimizerSteps).toBe(0);
    expect((await net.optimizerState()).velocity!['0.weight']!.data.every((v) => v === 0)).toBe(true);
    await net.fit(data, { epochs: 1, batchSize: 10 });
    expect((await net.optimizerState()).velocity!['0.weight']!.data.some((v) => v !== 0)).toBe(true);
    await net.destroy();
  });
});
