// Sequence models on the CPU: shape inference and its errors, parameter names, and every gradient of a transformer
// block and of a whole tiny GPT (tied and untied) from the reference trainer against float64 central differences.
import { describe, expect, it } from 'vitest';
import { DataError, GraphError, OptionError } from '../src/core/errors.js';
import { dense, layerNorm } from '../src/nn/layers.js';
import { sequential, type Model } from '../src/nn/model.js';
import { attention, embedding, positionalEmbedding, transformerBlock } from '../src/nn/sequence-layers.js';
import { gpt } from '../src/nn/zoo.js';
import { adamw } from '../src/optim/index.js';
import { SequenceReference } from '../src/train/reference-sequence.js';
import { Rng } from '../src/util/rng.js';
import { numericGrad } from './helpers/numeric-grad.js';

const tokens = (rng: Rng, n: number, V: number) => Array.from({ length: n }, () => rng.int(V));

describe('sequence layers: shapes and names', () => {
  it('a GPT infers [T, C] through its blocks and names its tensors by position', () => {
    const m = gpt({ vocab: 11, context: 8, layers: 1, heads: 2, channels: 16 });
    const names = m.graph.params.map((p) => `${p.name} [${p.shape.join(', ')}]`);
    expect(names).toEqual([
      '0.weight [11, 16]',
      '1.weight [8, 16]',
      '2.ln1.weight [16]',
      '2.ln1.bias [16]',
      '2.attn.qkv.weight [48, 16]',
      '2.attn.qkv.bias [48]',
      '2.attn.proj.weight [16, 16]',
      '2.attn.proj.bias [16]',
      '2.ln2.weight [16]',
      '2.ln2.bias [16]',
      '2.mlp.fc.weight [64, 16]',
      '2.mlp.fc.bias [64]',
      '2.mlp.proj.weight [16, 64]',
      '2.mlp.proj.bias [16]',
      '3.weight [16]',
      '3.bias [16]',
      '4.weight [11, 16]',
      '4.bias [11]',
    ]);
    expect(m.graph.tokens).toBe(8);
    expect(m.graph.output.shape).toEqual([8, 11]);
    expect(m.graph.nodes.find((n) => n.name === '2.attn.sdpa')!.shape).toEqual([8, 16]);
    expect(m.summary()).toContain('8x16');
  });

  it('tie: the head shares the embedding table, so there is one [V, C] tensor fewer', () => {
    const tied = gpt({ vocab: 11, context: 8, layers: 1, heads: 2, channels: 16, tie: true });
    expect(tied.graph.params.map((p) => p.name)).not.toContain('4.weight');
    const head = tied.graph.output.op;
    expect(head.op === 'dense' && head.weight).toBe('0.weight');
  });

  const errors: [string, () => unknown, RegExp][] = [
    ['a dense on token ids', () => sequential({ tokens: 8 }, [dense(4)]), /dense '0' cannot read token ids \[8\]; start the model with embedding/],
    ['an embedding on vectors', () => sequential(5, [embedding(11, 4)]), /embedding '0' needs token ids \[T\].*got a vector of width 5/],
    [
      'channels not divisible by heads',
      () => sequential({ tokens: 8 }, [embedding(11, 10), transformerBlock({ heads: 3 })]),
      /transformerBlock '1' splits a sequence \[8, 10\] \(T, C\) into 3 heads, but C = 10 is not divisible by 3/,
    ],
    [
      'a context longer than the positional table',
      () => sequential({ tokens: 8 }, [embedding(11, 4), positionalEmbedding(6)]),
      /positionalEmbedding '1' has a table of 6 positions, but its input is a sequence \[8, 4\] \(T, C\): the context T = 8 is longer/,
    ],
    ['attention on a vector', () => sequential(6, [attention({ heads: 2 })]), /attention '0' needs a sequence \[T, C\], got a vector of width 6/],
    [
      'a tied head whose shape is not the table',
      () => sequential({ tokens: 4 }, [embedding(11, 4), dense(7, { tie: true })]),
      /dense '1' has tie: true, but its weight \[7, 4\] is not the shape of the embedding table '0.weight' \[11, 4\]/,
    ],
    ['a tied head without an embedding', () => sequential(4, [dense(7, { tie: true })]), /has tie: true, but the model has 0 token embeddings/],
    ['zero heads', () => attention({ heads: 0 }), /attention: heads must be a positive integer, got 0/],
    ['a bad token count', () => sequential({ tokens: 0 }, [embedding(3, 2)]), /input \{ tokens \} must be a positive integer/],
  ];
  for (const [what, build, message] of errors) {
    it(`GraphError for ${what}`, () => {
      expect(build).toThrow(GraphError);
      expect(build).toThrow(message);
    });
  }

  it('dense and layerNorm on a sequence act on the last axis; positions shorter than the table are fine', () => {
    const m = sequential({ tokens: 4 }, [embedding(5, 6), positionalEmbedding(9), layerNorm(), dense(3)]);
    expect(m.graph.params.map((p) => p.shape)).toEqual([[5, 6], [9, 6], [6], [6], [3, 6], [3]]);
    expect(m.graph.output.shape).toEqual([4, 3]);
  });
});

/** Every parameter's gradient from backward() against float64 central differences of the mean loss. */
function checkGradients(model: Model, B: number, seed: number) {
  const T = model.graph.tokens!;
  const V = model.graph.output.shape[1]!;
  const rng = new Rng(seed);
  const ref = new SequenceReference(model, adamw({ lr: 1e-3 }), 'f64');
  // Random parameters, so LayerNorm gains, biases and positions are not at their special initial values.
  for (let i = 0; i < ref.params.length; i++) ref.params[i] = rng.uniform(-0.5, 0.5);
  const ids = tokens(rng, B * T, V);
  const labels = tokens(rng, B * T, V);
  ref.backward(ids, labels, B);
  const grads = ref.gradients();
  for (const seg of model.layout.segments) {
    const view = ref.params.subarray(seg.offset, seg.offset + seg.length) as Float64Array;
    const want = numericGrad(() => ref.loss(ids, labels, B), view);
    const got = grads[seg.name]!;
    let norm = 0;
    for (let i = 0; i < want.length; i++) {
      norm += want[i]! ** 2;
      expect(Math.abs(got[i]! - want[i]!), `'${seg.name}'[${i}]: backward ${got[i]}, central differences ${want[i]} (seed ${seed})`).toBeLessThan(
        1e-8 + 1e-6 * Math.abs(want[i]!),
      );
    }
    expect(norm, `'${seg.name}' has a zero gradient: the check would prove nothing`).toBeGreaterThan(0);
  }
}

describe('sequence reference trainer: gradients against float64 central differences', () => {
  it('a transformer block between an embedding with positions and a dense head', () => {
    const model = sequential({ tokens: 4 }, [embedding(7, 8), positionalEmbedding(4), transformerBlock({ heads: 2, mlpRatio: 2 }), dense(7)]);
    checkGradients(model, 2, 11);
  });

  it('a whole tiny GPT with two blocks, untied and tied', () => {
    checkGradients(gpt({ vocab: 7, context: 4, layers: 2, heads: 2, channels: 8, mlpRatio: 2 }), 2, 12);
    checkGradients(gpt({ vocab: 7, context: 4, layers: 2, heads: 2, channels: 8, mlpRatio: 2, tie: true }), 2, 13);
  });

  it('non-causal attention', () => {
    checkGradients(sequential({ tokens: 3 }, [embedding(5, 4), attention({ heads: 2, causal: false }), dense(5)]), 2, 14);
  });
});

describe('sequence reference trainer', () => {
  it('AdamW steps in f32 lower the loss of a fixed batch', () => {
    const model = gpt({ vocab: 11, context: 8, layers: 1, heads: 2, channels: 16 });
    const ref = new SequenceReference(model, adamw({ lr: 1e-2 }));
    const rng = new Rng(5);
    const ids = tokens(rng, 3 * 8, 11);
    const first = ref.step(ids, ids, 3).loss;
    let last = first;
    for (let s = 0; s < 20; s++) last = ref.step(ids, ids, 3).loss;
    expect(first).toBeGreaterThan(2);
    expect(last).toBeLessThan(first / 2);
  });

  it('an id outside the vocabulary is a DataError naming it and its position', () => {
    const ref = new SequenceReference(gpt({ vocab: 5, context: 2, layers: 0, heads: 1, channels: 4 }), adamw());
    expect(() => ref.step([1, 2, 3, 9], [0, 0, 0, 0], 2)).toThrow(DataError);
    expect(() => ref.step([1, 2, 3, 9], [0, 0, 0, 0], 2)).toThrow(/id 9 at position 3/);
  });

  it('refuses a model without token input', () => {
    expect(() => new SequenceReference(sequential(3, [dense(2)]), adamw())).toThrow(OptionError);
  });
});
