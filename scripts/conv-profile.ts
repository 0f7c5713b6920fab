// Convolution profile: GPU-timestamp GFLOP/s of every conv2d variant on each pass of LeNet's two layers and a
// ResNet 3x3 layer, timed in interleaved rounds (A B A B ...) so load from other work hits them alike, and the
// LeNet-5 training step (batch 64, Adam) per dispatch. Run: npx vitest run --config scripts/profile.config.ts
// Environment: PROFILE_LAYERS=conv1,conv2,resnet  PROFILE_VARIANTS=gather,window,gemm  PROFILE_ROUNDS=5
// PROFILE_PASSES=forward,dx,dw+db  PROFILE_STEP=1
import { it } from 'vitest';

// One report printed at the end (vitest prefixes every console.log with the test's name).
const report: string[] = [];
const log = (line: string) => report.push(line);
import { CONV_LAYERS, convFlops, convOutput, type ConvLayerSpec } from '../src/bench/conv.js';
import { timeDispatches } from '../src/bench/timing.js';
import type { Dispatch } from '../src/gpu/kernel.js';
import type { Runtime } from '../src/gpu/runtime.js';
import { Tensor } from '../src/gpu/tensor.js';
import { CONV_VARIANTS, conv2dBackwardScratch, prepareConv2d, prepareConv2dBackward, type ConvVariant } from '../src/kernels/conv2d.js';
import { adam, createRuntime, Network, Rng } from '../src/index.js';
import { lenet5 } from '../src/nn/zoo.js';
import { median } from '../src/util/stats.js';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const LAYER_KEYS = ['conv1', 'conv2', 'resnet'];
const layers = env('PROFILE_LAYERS', LAYER_KEYS.join(','))
  .split(',')
  .filter((k) => k !== '') // PROFILE_LAYERS= (empty): the step alone
  .map((k) => CONV_LAYERS[LAYER_KEYS.indexOf(k)]!);
const variants = env('PROFILE_VARIANTS', CONV_VARIANTS.join(',')).split(',') as ConvVariant[];
const rounds = Number(env('PROFILE_ROUNDS', '5'));
const PASSES = ['forward', 'dx', 'dw+db'] as const;
const passes = env('PROFILE_PASSES', PASSES.join(',')).split(',') as (typeof PASSES)[number][];

/** The dispatches of one pass of a layer with one variant, and the tensors they use. */
async function preparePass(rt: Runtime, l: ConvLayerSpec, pass: (typeof PASSES)[number], variant: ConvVariant) {
  const rng = new Rng(7);
  const [oh, ow] = convOutput(l);
  const made: Tensor[] = [];
  const t = (shape: number[], label: string) => {
    const x = Tensor.from(rt, rng.floats(shape.reduce((a, b) => a * b, 1)), shape, label);
    made.push(x);
    return x;
  };
  const geometry = { padding: l.padding, variant };
  const x = t([l.batch, l.h, l.w, l.c], 'x');
  const w = t([l.oc, l.c, l.k, l.k], 'w');
  let ds: Dispatch[];
  if (pass === 'forward') {
    ds = [await prepareConv2d(rt, { x, w, bias: t([l.oc], 'b'), y: t([l.batch, oh, ow, l.oc], 'y') }, { ...geometry, activation: 'relu' })];
  } else {
    const dy = t([l.batch, oh, ow, l.oc], 'dy');
    const scratch = conv2dBackwardScratch(x, w, geometry);
    const grads =
      pass === 'dx' ? { dx: t([...x.shape], 'dx') } : { dw: t([...w.shape], 'dw'), db: t([l.oc], 'db'), ...(scratch ? { dwPartial: t(scratch, 'part') } : {}) };
    ds = await prepareConv2dBackward(rt, { x, w, dy, ...grads }, geometry);
  }
  return { ds, made };
}

it('profiles the conv2d passes and the LeNet-5 step', async () => {
  const rt = await createRuntime();
  log(`adapter: ${rt.description}; variants ${variants.join(', ')}; ${rounds} interleaved rounds (fastest kept); GFLOP/s by GPU timestamps`);
  for (const l of layers) {
    for (const pass of passes) {
      const prepared = [];
      for (const v of variants) prepared.push(await preparePass(rt, l, pass, v));
      const samples: number[][] = variants.map(() => []);
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < variants.length; i++) {
          const k = (i + r) % variants.length;
          samples[k]!.push((await timeDispatches(rt, prepared[k]!.ds, { repetitions: 3, targetMs: 30 })).min);
        }
      }
      // The fastest round: load from other work only ever adds time.
      const ms = samples.map((x) => Math.min(...x));
      const cells = variants.map((v, i) => `${v} ${(convFlops(l) / (ms[i]! * 1e6)).toFixed(2)} (${ms[i]!.toFixed(3)} ms, x${(ms[0]! / ms[i]!).toFixed(2)})`);
      log(`${l.name.padEnd(50)} ${pass.padEnd(7)} ${cells.join('  ')}`);
      for (const p of prepared) {
        p.ds.forEach((d) => rt.release(d));
        p.made.forEach((t) => t.destroy());
      }
    }
  }
  if (env('PROFILE_STEP', '1') === '1') await profileStep(rt);
  rt.destroy();
  console.log(report.join('\n'));
});

/** The LeNet-5 step, batch 64, Adam: wall clock per step, and each dispatch timed alone by timestamps. */
async function profileStep(rt: Runtime) {
  const B = 64;
  const net = await Network.compile(rt, lenet5(), { loss: 'cross_entropy', optimizer: adam({ lr: 1e-3 }), metricsEvery: 50 });
  const plan = await net.plan(B, true);
  const rng = new Rng(1);
  const x = rng.floats(B * 784, 0, 1);
  const y = Float32Array.from({ length: B }, () => rng.int(10));
  for (let s = 0; s < 3; s++) await net.trainStep(plan, x, y);
  await net.flush();
  // Load from other work only ever adds time: the fastest of several batches (and repetitions) is the figure
  // least disturbed by it, and the one to compare between runs.
  const steps = 10;
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) await net.trainStep(plan, x, y);
    await net.flush();
    await rt.sync();
    batches.push((performance.now() - t0) / steps);
  }
  const stepMs = Math.min(...batches);
  log(
    `LeNet-5 step, batch ${B}, Adam: ${stepMs.toFixed(2)} ms/step (wall clock, fastest of 5 batches of ${steps}; median ${median(batches).toFixed(2)}), ${plan.dispatchCount} dispatches`,
  );
  let total = 0;
  for (const d of plan.dispatches) {
    const ms = (await timeDispatches(rt, [d], { repetitions: 5, targetMs: 20 })).min;
    total += ms;
    log(`  ${ms.toFixed(3).padStart(8)} ms  ${d.label}`);
  }
  log(`  ${total.toFixed(3).padStart(8)} ms  sum of the dispatches timed alone (fastest of 5 repetitions each)`);
  await net.destroy();
}
