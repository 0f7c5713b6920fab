// GPT step profile: GPU-timestamp milliseconds of every dispatch of the benchmark's GPT training step (each timed
// on its own, repeated), grouped by label, beside the whole step timed the same way. Shows where a step goes.
// Run: npx vitest run --config scripts/profile.config.ts scripts/gpt-profile.ts
// Environment: PROFILE_GROUP=0 lists every label apart; PROFILE_GPT=layers,heads,channels,context,batch (default the benchmark's spec).
import { it } from 'vitest';
import { GPT_ADAMW, GPT_SPEC, gptModel, gptProblem } from '../src/bench/peers/gpt-common.js';
import { timeDispatches } from '../src/bench/timing.js';
import { createRuntime } from '../src/index.js';
import { adamw } from '../src/optim/adam.js';
import { Network } from '../src/train/network.js';

it('gpt: time of every dispatch of a training step', async () => {
  const [layers, heads, channels, context, batch] = (process.env.PROFILE_GPT ?? '').split(',').filter(Boolean).map(Number);
  const spec = { ...GPT_SPEC, ...(layers ? { layers, heads: heads!, channels: channels!, context: context!, batch: batch! } : {}) };
  const rt = await createRuntime();
  const { lr, beta1, beta2, eps, weightDecay } = GPT_ADAMW;
  const net = await Network.compile(rt, gptModel(spec), { loss: 'cross_entropy', optimizer: adamw({ lr, betas: [beta1, beta2], eps, weightDecay }) });
  const plan = await net.plan(spec.batch, true);
  const pr = gptProblem(spec);
  for (let i = 0; i < 3; i++) await net.trainStep(plan, pr.xs[0]!, pr.ys[0]!);
  await net.flush();
  const whole = await timeDispatches(rt, plan.dispatches, { repetitions: 5, targetMs: 200 });
  const byLabel = new Map<string, { ms: number; n: number }>();
  let sum = 0;
  for (const d of plan.dispatches) {
    const t = await timeDispatches(rt, [d], { repetitions: 3, targetMs: 15 });
    const key = process.env.PROFILE_GROUP === '0' ? d.label : d.label.replace(/\d+/g, '#');
    const e = byLabel.get(key) ?? { ms: 0, n: 0 };
    e.ms += t.median;
    e.n++;
    byLabel.set(key, e);
    sum += t.median;
  }
  const rows = [...byLabel].sort((a, b) => b[1].ms - a[1].ms);
  const lines = [
    `adapter: ${rt.description}`,
    `spec ${JSON.stringify(spec)}: ${plan.dispatches.length} dispatches; whole step ${whole.median.toFixed(2)} ms (${whole.method}); sum of dispatches alone ${sum.toFixed(2)} ms`,
    ...rows.map(([k, e]) => `${e.ms.toFixed(2).padStart(8)} ms ${((100 * e.ms) / sum).toFixed(1).padStart(5)}%  x${e.n}  ${k}`),
  ];
  console.log(lines.join('\n'));
  await net.destroy();
  rt.destroy();
});
