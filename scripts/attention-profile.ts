// Attention profile: GPU-timestamp milliseconds of the fused attention forward and backward against the unfused
// forward (per head: matmul Q K^T into a T x T score matrix, a row softmax, matmul with V), on the shapes of the
// README. The unfused softmax is softmax_cross_entropy's with NaN labels (its gradient output is then the softmax
// itself), without a causal mask, so it is, if anything, cheaper than a real masked softmax.
// Run: npx vitest run --config scripts/profile.config.ts scripts/attention-profile.ts
// Environment: PROFILE_SHAPES=16x64x4x16,8x256x4x32 (B x T x H x D)
import { it } from 'vitest';
import { timeDispatches } from '../src/bench/timing.js';
import type { Dispatch } from '../src/gpu/kernel.js';
import { Tensor } from '../src/gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../src/kernels/attention.js';
import { prepareSoftmaxCrossEntropy } from '../src/kernels/loss.js';
import { prepareMatmul } from '../src/kernels/matmul.js';
import { createRuntime, Rng } from '../src/index.js';

const report: string[] = [];
const shapes = (process.env.PROFILE_SHAPES ?? '16x64x4x16,8x256x4x32').split(',').map((s) => s.split('x').map(Number) as [number, number, number, number]);

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
    report.push(`${tag}: fused forward ${f.median.toFixed(3)} ms, fused backward ${b.median.toFixed(3)} ms, fused forward+backward ${(f.median + b.median).toFixed(3)} ms; unfused forward (${unfused.length} dispatches) ${u.median.toFixed(3)} ms (${f.method})`);
    for (const d of [...fwd, ...bwd, ...unfused]) rt.release(d);
    for (const t of [qkv, out, lse, dOut, dqkv, delta, q, k, v, S, P, O, labels, rowLoss, correct]) t.destroy();
  }
  console.log(report.join('\n'));
}, 1_200_000);
