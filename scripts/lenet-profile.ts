// LeNet-5 step profile: GPU-timestamp milliseconds of every dispatch of the benchmark's LeNet-5 training step (each
// timed on its own, repeated), beside the whole step timed the same way. Shows where a CNN step goes. Each row gives
// the median and, in brackets, the fastest repetition: on a machine shared with other work the minimum is the
// steadier figure to compare runs by.
// Run: npx vitest run --config scripts/profile.config.ts scripts/lenet-profile.ts
// Environment: PROFILE_BATCH (default 64), PROFILE_REPS (repetitions per dispatch, default 5).
import { it } from 'vitest';
import { timeDispatches } from '../src/bench/timing.js';
import { createRuntime } from '../src/index.js';
import { lenet5 } from '../src/nn/zoo.js';
import { adam } from '../src/optim/adam.js';
import { Network } from '../src/train/network.js';
import { Rng } from '../src/util/rng.js';

it('lenet: time of every dispatch of a training step', async () => {
  const batch = Number(process.env.PROFILE_BATCH ?? 64);
  const repetitions = Number(process.env.PROFILE_REPS ?? 5);
  const rt = await createRuntime();
  const net = await Network.compile(rt, lenet5(), { loss: 'cross_entropy', optimizer: adam({ lr: 1e-3 }) });
  const plan = await net.plan(batch, true);
  const rng = new Rng(7);
  const x = rng.floats(batch * 784, 0, 1);
  const y = Float32Array.from({ length: batch }, () => rng.int(10));
  for (let i = 0; i < 3; i++) await net.trainStep(plan, x, y);
  await net.flush();
  const whole = await timeDispatches(rt, plan.dispatches, { repetitions, targetMs: 200 });
  const rows: string[] = [];
  let sum = 0;
  for (const d of plan.dispatches) {
    const t = await timeDispatches(rt, [d], { repetitions, targetMs: 15 });
    rows.push(`${t.median.toFixed(3).padStart(8)} ms (${t.min.toFixed(3).padStart(6)})  ${d.label}`);
    sum += t.median;
  }
  console.log(
    [
      `adapter: ${rt.description}`,
      `batch ${batch}: ${plan.dispatches.length} dispatches; whole step ${whole.median.toFixed(2)} ms (min ${whole.min.toFixed(2)}, ${whole.method}); sum ${sum.toFixed(2)} ms`,
      ...rows,
    ].join('\n'),
  );
  await net.destroy();
  rt.destroy();
});
