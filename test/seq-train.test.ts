// Sequence models on the GPU against the CPU reference trainer: tiny GPTs (1 and 2 blocks, tied and untied) after
// 1 and 10 AdamW steps; the step plan's dispatch count and its zero GPU allocations per step; token data through
// fit / evaluate / predict and their typed errors.
import { describe, expect, it } from 'vitest';
import { DataError, GraphError } from '../src/core/errors.js';
import { dense, layerNorm } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { embedding, positionalEmbedding } from '../src/nn/sequence-layers.js';
import { gpt } from '../src/nn/zoo.js';
import { adamw } from '../src/optim/index.js';
import { Network } from '../src/train/network.js';
import { SequenceReference } from '../src/train/reference-sequence.js';
import { allclose } from '../src/util/allclose.js';
import { Rng } from '../src/util/rng.js';
import { allocatesNothing } from './helpers/allocation.js';
import { countCreations, NO_CREATIONS } from './helpers/creations.js';
import { gpu } from './helpers/gpu.js';

const [V, T, C, H, B] = [11, 8, 16, 2, 3];
const tiny = (layers: number, tie = false) => gpt({ vocab: V, context: T, layers, heads: H, channels: C, tie, seed: 4 });
const ids = (rng: Rng, n: number) => Uint32Array.from({ length: n }, () => rng.int(V));

function expectClose(label: string, got: Record<string, { data: Float32Array }>, want: Record<string, ArrayLike<number>>, tol: { atol: number; rtol: number }) {
  for (const [name, w] of Object.entries(want)) {
    const r = allclose(got[name]!.data, Float32Array.from(w), tol);
    expect(r.ok, `${label} '${name}': ${r.detail}`).toBe(true);
  }
}

/**
 * Adam divides each gradient by its own magnitude, so where a gradient is no larger than the error the gradient
 * comparison accepts (the key bias's is zero in exact arithmetic: a softmax ignores a shift common to a row's
 * scores), accepted rounding noise becomes a step of up to +-lr. Such entries (0 < |gradient| < NOISE at any step
 * so far, on either side) are left out of the parameter comparison; they must stay a small minority.
 */
const NOISE = 1e-6;
class NoisyMask {
  private readonly hidden = new Map<string, Set<number>>();
  note(grads: Record<string, ArrayLike<number>>): void {
    for (const [name, g] of Object.entries(grads)) {
      const set = this.hidden.get(name) ?? new Set<number>();
      // An exact zero (a token absent from every batch so far) is a zero on both sides, not noise.
      for (let i = 0; i < g.length; i++) if (g[i] !== 0 && Math.abs(g[i]!) < NOISE) set.add(i);
      this.hidden.set(name, set);
    }
    const total = Object.values(grads).reduce((n, g) => n + g.length, 0);
    const hidden = [...this.hidden.values()].reduce((n, s) => n + s.size, 0);
    expect(hidden, `${hidden} of ${total} gradient entries below ${NOISE}`).toBeLessThan(0.05 * total);
  }
  apply<T extends ArrayLike<number>>(name: string, v: T): Float32Array {
    const set = this.hidden.get(name);
    return Float32Array.from(v, (x, i) => (set?.has(i) ? NaN : x));
  }
  params(gpuParams: Record<string, { data: Float32Array }>, cpuParams: Record<string, ArrayLike<number>>) {
    const got = Object.fromEntries(Object.entries(gpuParams).map(([k, v]) => [k, { data: this.apply(k, v.data) }]));
    const want = Object.fromEntries(Object.entries(cpuParams).map(([k, v]) => [k, this.apply(k, v)]));
    return [got, want] as const;
  }
}

const cases: [string, number, boolean][] = [
  ['1-block', 1, false],
  ['2-block', 2, false],
  ['1-block tied', 1, true],
];

describe('a tiny GPT on the GPU equals the CPU reference trainer (AdamW)', () => {
  for (const [what, layers, tie] of cases)
    for (const attention of ['fused', 'composed'] as const) {
      it(`${what}, ${attention} attention: loss, gradients and parameters after 1 and 10 steps`, async () => {
        const rt = await gpu();
        const model = tiny(layers, tie);
        const optimizer = adamw({ lr: 1e-2, weightDecay: 0.1 });
        const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer, metricsEvery: 5, attention });
        const cpu = new SequenceReference(model, optimizer);
        const losses: number[] = [];
        net.onStep((m) => (losses[m.step] = m.loss));
        const plan = await net.plan(B, true);
        const rng = new Rng(21 + layers);
        const cpuLosses: number[] = [];
        const mask = new NoisyMask();
        for (let s = 0; s < 10; s++) {
          const x = ids(rng, B * T);
          const y = ids(rng, B * T);
          await net.trainStep(plan, x, y);
          cpuLosses.push(cpu.step(x, y, B).loss);
          mask.note(cpu.gradients());
          if (s === 0) {
            await net.flush();
            expect(Math.abs(losses[0]! - cpuLosses[0]!)).toBeLessThan(1e-5 + 1e-4 * Math.abs(cpuLosses[0]!));
            expectClose('step 1 gradient', await net.gradients(), cpu.gradients(), { atol: 2e-5, rtol: 1e-3 });
            mask.note(Object.fromEntries(Object.entries(await net.gradients()).map(([k, v]) => [k, v.data])));
            expectClose('step 1 parameter', ...mask.params(await net.parameters(), cpu.parameters()), { atol: 1e-6, rtol: 1e-5 });
          }
        }
        await net.flush();
        const l = allclose(losses, cpuLosses, { atol: 1e-4, rtol: 1e-3 });
        expect(l.ok, `losses over 10 steps: ${l.detail}`).toBe(true);
        expectClose('step 10 gradient', await net.gradients(), cpu.gradients(), { atol: 1e-4, rtol: 1e-2 });
        expectClose('step 10 parameter', ...mask.params(await net.parameters(), cpu.parameters()), { atol: 1e-4, rtol: 1e-3 });
        await net.destroy();
      }, 120_000);
    }
});

describe('the step plan of a sequence model', () => {
  it('has a fixed number of dispatches, one per block more, and creates nothing on the GPU during its steps', async () => {
    const rt = await gpu();
    const counts: number[] = [];
    for (const [layers, attention] of [
      [1, 'fused'],
      [2, 'fused'],
      [1, 'composed'],
      [2, 'composed'],
    ] as const) {
      const net = await Network.compile(rt, tiny(layers), { loss: 'cross_entropy', optimizer: adamw({ lr: 1e-3 }), metricsEvery: 4, attention });
      const plan = await net.plan(B, true);
      counts.push(plan.dispatchCount);
      const rng = new Rng(3);
      const [x, y] = [ids(rng, B * T), ids(rng, B * T)];
      for (let s = 0; s < 4; s++) await net.trainStep(plan, x, y); // warm: staging buffers exist
      await net.flush();
      const before = rt.buffers.stats();
      const created = await countCreations(rt, async () => {
        for (let s = 0; s < 8; s++) await net.trainStep(plan, x, y);
        await net.flush();
      });
      expect(created).toEqual(NO_CREATIONS);
      expect(rt.buffers.stats()).toEqual(before);
      await net.destroy();
    }
    // Outside the blocks: embedding + positions (1), final LayerNorm (1), head (1); loss (1); head dW db dX (3), final
    // LayerNorm params + dX (2), positions dW (1), embedding dW (1); telemetry (2), update (1): 14.
    // A block: forward ln1, qkv, attention, proj, add, ln2, fc, gelu, proj, add (10); backward: mlp proj dW db dX (3,
    // gelu' in dX's epilogue), fc dW db dX (3), ln2 params + dX (2, dX added onto the residual stream's gradient in
    // place), attn proj dW db dX (3), attention dq + dkv (2), qkv dW db dX (3), ln1 params + dX (2, added in place): 18.
    // The adds' gradients are no dispatch: both inputs' gradients share the add's (the compiler drops the copies).
    // Composed attention: 3 dispatches forward (Q K^T, softmax, P V) and 5 backward (dP, softmax backward, dQ, dK,
    // dV) where the fused kernels take 1 and 2: 5 more per block.
    expect(counts).toEqual([14 + 28, 14 + 56, 14 + 28 + 5, 14 + 56 + 10]);
  }, 120_000);

  it('an id outside the vocabulary is a DataError naming its row, position and value, before anything is written', async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, tiny(1), { loss: 'cross_entropy', optimizer: adamw() });
    const plan = await net.plan(B, true);
    const x = ids(new Rng(1), B * T);
    x[T + 3] = V;
    const before = await net.parameters();
    await expect(
      net.trainStep(
        plan,
        x,
        x.map(() => 0),
      ),
    ).rejects.toThrow(DataError);
    await expect(
      net.trainStep(
        plan,
        x,
        x.map(() => 0),
      ),
    ).rejects.toThrow(`id ${V} at row 1, position 3 is outside the vocabulary [0, ${V})`);
    expect(net.steps).toBe(0);
    expectClose('unchanged', await net.parameters(), Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v.data])), { atol: 0, rtol: 0 });
    await net.destroy();
  }, 60_000);
});

describe('token data through fit, evaluate and predict', () => {
  it('fit lowers the loss; evaluate equals the CPU loss of the trained parameters; predict gives [N, T, V] logits', async () => {
    const rt = await gpu();
    const model = tiny(1);
    const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: adamw({ lr: 1e-2 }) });
    // A cyclic language: the next token is (id + 1) mod V, learnable from the current token alone.
    const rng = new Rng(7);
    const x = new Uint32Array(12 * T);
    for (let r = 0; r < 12; r++) {
      const start = rng.int(V);
      for (let t = 0; t < T; t++) x[r * T + t] = (start + t) % V;
    }
    const y = x.map((v) => (v + 1) % V);
    const before = await net.evaluate({ x, y });
    const result = await net.fit({ x, y }, { epochs: 15, batchSize: 4 });
    const after = await net.evaluate({ x, y });
    expect(result.epochs.length).toBe(15);
    expect(after.loss).toBeLessThan(before.loss / 2);
    const params = await net.parameters();
    const cpu = new SequenceReference(model, adamw());
    for (const s of model.layout.segments) cpu.params.set(params[s.name]!.data, s.offset);
    expect(Math.abs(after.loss - cpu.loss(x, y, 12))).toBeLessThan(1e-4 * Math.max(1, after.loss));
    const logits = await net.predict(x.subarray(0, 2 * T));
    expect(logits.length).toBe(2 * T * V);
    await net.destroy();
  }, 120_000);

  it('an unknown attention choice is an OptionError naming the choices, before anything is made', async () => {
    const rt = await gpu();
    const before = rt.buffers.stats();
    await expect(Network.compile(rt, tiny(1), { loss: 'cross_entropy', attention: 'flash' as never })).rejects.toThrow(
      /attention must be 'auto', 'fused' or 'composed', got "flash"/,
    );
    expect(rt.buffers.stats()).toEqual(before);
  });

  it('bad token data is a DataError naming what is wrong', async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, tiny(1), { loss: 'cross_entropy' });
    const x = new Uint32Array(2 * T);
    await expect(net.fit({ x: new Float32Array(2 * T) as never, y: x })).rejects.toThrow(
      /x must be a Uint32Array or Int32Array of \[N, 8\] token ids, got a Float32Array/,
    );
    await expect(net.fit({ x: x.subarray(1), y: x })).rejects.toThrow(/x has 15 values, not a whole number of rows of T = 8/);
    const bad = Int32Array.from(x);
    bad[T + 2] = -1;
    await expect(net.fit({ x: bad, y: x })).rejects.toThrow(/fit: x holds -1 at row 1, position 2; expected a token id in \[0, 11\)/);
    await expect(net.evaluate({ x, y: x.map(() => 11) })).rejects.toThrow(DataError);
    await expect(net.predict(new Float32Array(T) as never)).rejects.toThrow(DataError);
    await net.destroy();
  }, 60_000);

  it('positions anywhere but right after the token embedding are a GraphError when the plan is compiled', async () => {
    const rt = await gpu();
    const model = sequential({ tokens: 4 }, [embedding(5, 4), layerNorm(), positionalEmbedding(4), dense(5)]);
    const net = await Network.compile(rt, model, { loss: 'cross_entropy' });
    await allocatesNothing(rt, () => net.plan(2, true), GraphError, "positionalEmbedding '2' must read the token embedding directly");
    await net.destroy();
  }, 60_000);
});
