// Attention profile: GPU-timestamp milliseconds of the fused attention forward and backward against the unfused
// forward (per head: matmul Q K^T into a T x T score matrix, a row softmax, matmul with V), on the shapes of the
// README. The unfused softmax is softmax_cross_entropy's with NaN labels (its gradient output is then the softmax
// itself), without a causal mask, so it is, if anything, cheaper than a real masked softmax.
// Cold compile: with PROFILE_COMPILE=16,32,64 (head sizes) it first times each pipeline's first prepare + dispatch
// on a one-token shape (lavapipe compiles a pipeline's code at its first dispatch); run it with
// MESA_SHADER_CACHE_DISABLE=true, or Mesa's on-disk cache makes every compile after the first warm.
// Run: npx vitest run --config scripts/profile.config.ts scripts/attention-profile.ts
// Environment: PROFILE_SHAPES=16x64x4x16,8x256x4x32 (B x T x H x D); PROFILE_SHAPES=none skips the timings.
import { it } from 'vitest';
import { timeDispatches } from '../src/bench/timing.js';
import type { Dispatch } from '../src/gpu/kernel.js';
import { Tensor } from '../src/gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../src/kernels/attention.js';
import { prepareSoftmaxCrossEntropy } from '../src/kernels/loss.js';
import { prepareMatmul } from '../src/kernels/matmul.js';
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
    const C = H * D;
    const rows = B * T;
    const shape = { B, T, H, D, causal: true };
    const qkv = Tensor.from(rt, rng.floats(rows * 3 * C), [rows, 3 * C], 'qkv');
    const out = Tensor.zeros(rt, [rows, C], 'out');
    const lse = Tensor.zeros(rt, [B, H, T], 'lse');
    const dOut = Tensor.from(rt, rng.floats(rows * C), [rows, C], 'dOut');
    const dqkv = Tensor.zeros(rt, [rows, 3 * C], 'dqkv');
    const delta = Tensor.zeros(rt, [B, H, T], 'delta');
    const fwd = [await prepareAttentionForward(rt, { qkv, out, lse, shape })];
    const bwd = await prepareAttentionBackward(rt, { qkv, out, lse, dOut, dqkv, delta, shape });
    // PROFILE_ROWS=1,2,4: the backward with each query/key rows per invocation, interleaved in this run.
    for (const r of (process.env.PROFILE_ROWS ?? '').split(',').filter(Boolean).map(Number)) {
      const f = await timeDispatches(rt, [await prepareAttentionForward(rt, { qkv, out, lse, shape }, { rows: r })]);
      const b = await timeDispatches(rt, await prepareAttentionBackward(rt, { qkv, out, lse, dOut, dqkv, delta, shape }, { rows: r }));
      report.push(`B=${B} T=${T} H=${H} D=${D} rows=${r}: forward ${f.median.toFixed(3)} ms, backward ${b.median.toFixed(3)} ms`);
    }
    // Unfused: head-major q, k, v [B*H, T, D] (the layout a composition would transpose to), scores [B*H*T, T].
    const heads = (label: string) => Tensor.from(rt, rng.floats(B * H * T * D), [B * H * T * D], label);
    const [q, k, v] = [heads('q'), heads('k'), heads('v')];
    const S = Tensor.zeros(rt, [B * H * T, T], 'scores');
    const P = Tensor.zeros(rt, [B * H * T, T], 'probabilities');
    const O = Tensor.zeros(rt, [B * H * T * D], 'o');
    const labels = Tensor.from(rt, new Float32Array(B * H * T).fill(NaN), [B * H * T], 'labels');
    const rowLoss = Tensor.zeros(rt, [B * H * T], 'loss');
    const correct = Tensor.zeros(rt, [B * H * T], 'correct');
    const view = (t: Tensor, i: number, r: number, c: number) => Tensor.view(rt, t.buffer, [r, c], i * r * c * 4);
    const unfused: Dispatch[] = [];
    for (let i = 0; i < B * H; i++) unfused.push(await prepareMatmul(rt, { a: view(q, i, T, D), b: view(k, i, T, D), c: view(S, i, T, T) }, { transB: true }));
    unfused.push(await prepareSoftmaxCrossEntropy(rt, { logits: S, labels, loss: rowLoss, dlogits: P, correct }, { gradScale: 1 }));
    for (let i = 0; i < B * H; i++) unfused.push(await prepareMatmul(rt, { a: view(P, i, T, T), b: view(v, i, T, D), c: view(O, i, T, D) }));
    const tag = `B=${B} T=${T} H=${H} D=${D} causal`;
    const f = await timeDispatches(rt, fwd);
    const b = await timeDispatches(rt, bwd);
    const u = await timeDispatches(rt, unfused);
    report.push(
      `${tag}: fused forward ${f.median.toFixed(3)} ms, fused backward ${b.median.toFixed(3)} ms, fused forward+backward ${(f.median + b.median).toFixed(3)} ms; unfused forward (${unfused.length} dispatches) ${u.median.toFixed(3)} ms (${f.method})`,
    );
    for (const d of [...fwd, ...bwd, ...unfused]) rt.release(d);
    for (const t of [qkv, out, lse, dOut, dqkv, delta, q, k, v, S, P, O, labels, rowLoss, correct]) t.destroy();
  }
  console.log(report.join('\n'));
}, 1_200_000);
