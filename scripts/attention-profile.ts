// Attention profile: GPU-timestamp milliseconds of the fused causal attention forward and backward against the
// unfused composition of src/bench/attention-compose.ts (forward per head: matmul Q K^T, one causal row softmax,
// matmul with V; backward: dV, dP, one softmax backward, dQ, dK), on the shapes of the README.
// Cold compile: with PROFILE_COMPILE=16,32,64 (head sizes) it first times each pipeline's first prepare + dispatch
// on a one-token shape (lavapipe compiles a pipeline's code at its first dispatch); run it with
// MESA_SHADER_CACHE_DISABLE=true, or Mesa's on-disk cache makes every compile after the first warm.
// Run: npx vitest run --config scripts/profile.config.ts scripts/attention-profile.ts
// Environment: PROFILE_ROWS=1,2,4 and PROFILE_WG=8,16,32 time those variants too; PROFILE_SHAPES=16x64x4x16,8x256x4x32 (B x T x H x D); PROFILE_SHAPES=none skips the timings.
import { it } from 'vitest';
import { prepareFusedAttention, prepareUnfusedAttention, randomAttentionData } from '../src/bench/attention-compose.js';
import { timeDispatches } from '../src/bench/timing.js';
import type { Dispatch } from '../src/gpu/kernel.js';
import { Tensor } from '../src/gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../src/kernels/attention.js';
import { createRuntime, Rng } from '../src/index.js';

const report: string[] = [];
const shapeList = process.env.PROFILE_SHAPES ?? '16x64x4x16,8x256x4x32';
const shapes = shapeList === 'none' ? [] : shapeList.split(',').map((s) => s.split('x').map(Number) as [number, number, number, number]);
const compileDs = (process.env.PROFILE_COMPILE ?? '').split(',').filter(Boolean).map(Number);

it('attention: cold compile of each pipeline', async () => {
  if (compileDs.length === 0) return;
  const rt = await createRuntime();
  const lines = [`cold compile (first prepare + dispatch, B=1 T=1 H=1 causal; MESA_SHADER_CACHE_DISABLE=${process.env.MESA_SHADER_CACHE_DISABLE ?? 'unset'}):`];
  for (const D of compileDs) {
    const shape = { B: 1, T: 1, H: 1, D, causal: true };
    const qkv = Tensor.zeros(rt, [1, 3 * D], 'qkv');
    const [out, dOut, dqkv] = [Tensor.zeros(rt, [1, D], 'out'), Tensor.zeros(rt, [1, D], 'dOut'), Tensor.zeros(rt, [1, 3 * D], 'dqkv')];
    const [lse, delta] = [Tensor.zeros(rt, [1, 1, 1], 'lse'), Tensor.zeros(rt, [1, 1, 1], 'delta')];
    const time = async (name: string, make: () => Promise<Dispatch>) => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const d = await make();
      rt.runOnce(d);
      await rt.sync();
      const cpu = process.cpuUsage(cpu0);
      // CPU seconds of this process (every thread), which a loaded machine stretches far less than the wall clock.
      lines.push(`  D=${D} ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`);
      console.log(lines.at(-1));
    };
    await time('attention', () => prepareAttentionForward(rt, { qkv, out, lse, shape }));
    const [dq, dkv] = await prepareAttentionBackward(rt, { qkv, out, lse, dOut, dqkv, delta, shape });
    await time('attention_dq', async () => dq!);
    await time('attention_dkv', async () => dkv!);
    for (const t of [qkv, out, dOut, dqkv, lse, delta]) t.destroy();
  }
  console.log(lines.join('\n'));
}, 1_200_000);

it('attention: fused against unfused', async () => {
  const rt = await createRuntime();
  const rng = new Rng(1);
  report.push(`adapter: ${rt.description}`);
  for (const [B, T, H, D] of shapes) {
    const shape = { B, T, H, D };
    const tag = `B=${B} T=${T} H=${H} D=${D}`;
    // PROFILE_ROWS=1,2,4: the backward with each query/key rows per invocation, interleaved in this run.
    // PROFILE_WG=8,16,32: and each workgroup size (invocations), every pair of the two lists.
    const wgs = (process.env.PROFILE_WG ?? '').split(',').filter(Boolean).map(Number);
    for (const r of (process.env.PROFILE_ROWS ?? '').split(',').filter(Boolean).map(Number)) {
      for (const wg of wgs.length ? wgs : [undefined]) {
        const p = await prepareFusedAttention(rt, shape, randomAttentionData(shape, rng), { rows: r, ...(wg ? { wg } : {}) });
        const [f, b] = [await timeDispatches(rt, p.forward), await timeDispatches(rt, p.backward)];
        report.push(`${tag} rows=${r}${wg ? ` wg=${wg}` : ''}: forward ${f.median.toFixed(3)} ms, backward ${b.median.toFixed(3)} ms`);
        p.destroy();
      }
    }
    const data = randomAttentionData(shape, rng);
    const fused = await prepareFusedAttention(rt, shape, data);
    const unfused = await prepareUnfusedAttention(rt, shape, data);
    const f = await timeDispatches(rt, fused.forward);
    const b = await timeDispatches(rt, fused.backward);
    const uf = await timeDispatches(rt, unfused.forward);
    const ub = await timeDispatches(rt, unfused.backward);
    const ms = (t: { median: number }) => `${t.median.toFixed(3)} ms`;
    report.push(
      `${tag} causal: fused forward ${ms(f)}, backward ${ms(b)}, forward+backward ${(f.median + b.median).toFixed(3)} ms; ` +
        `unfused forward ${ms(uf)} (${unfused.forward.length} dispatches), backward ${ms(ub)} (${unfused.backward.length} dispatches), ` +
        `forward+backward ${(uf.median + ub.median).toFixed(3)} ms; speedup forward ${(uf.median / f.median).toFixed(2)}x, backward ${(ub.median / b.median).toFixed(2)}x (${f.method})`,
    );
    fused.destroy();
    unfused.destroy();
  }
  console.log(report.join('\n'));
}, 1_200_000);
