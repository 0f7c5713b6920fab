// Lowering a GPT-style sequence model to one decode step on a single row: the token at the decoder's position is
// embedded (with its positional row), every dense, LayerNorm, activation and residual add runs on a [1, width]
// row, and each causal attention appends its k and v to the layer's key/value cache and attends against it. Two
// dispatch lists come out: `prefill` (up to the last attention, then advance the position: a prompt token whose
// next token is known) and `decode` (the whole model, then draw the next token on the GPU and advance). Every
// buffer and bind group is made here, once; encoding a step allocates nothing.
import { GraphError, OptionError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareActivation } from '../kernels/activation.js';
import { DECODE_STATE_BYTES, MAX_DECODE_CONTEXT, prepareAttentionDecode, prepareDecodeEmbedding } from '../kernels/decode.js';
import { prepareAdd } from '../kernels/elementwise.js';
import { prepareLayerNormForward } from '../kernels/layernorm.js';
import { prepareMatmul } from '../kernels/matmul.js';
import { prepareSample } from '../kernels/sample.js';
import type { GraphNode } from '../nn/graph.js';
import type { Model } from '../nn/model.js';
import { attentionShape, rowsOf } from '../nn/sequence-layers.js';
import { arenaView } from './lower.js';

/** What a model must be to decode: checked before anything is made. */
export interface DecodeShape {
  /** The context (tokens per example): cache length and positional rows. */
  T: number;
  /** Embedding vocabulary (ids fed back) and logits width (ids drawn). */
  vocab: number;
  logits: number;
}

const SUPPORTED = ['input', 'embedding', 'positional', 'dense', 'activation', 'layerNorm', 'add', 'attention'];

/** The decode shape of a model, or an OptionError / GraphError saying why it cannot generate. */
export function decodeShape(model: Model): DecodeShape {
  const g = model.graph;
  const T = g.tokens;
  if (T === null) throw new OptionError('generate needs a sequence model (sequential({ tokens: T }, ...)), e.g. gpt({...})');
  if (T > MAX_DECODE_CONTEXT) throw new OptionError(`generate: context ${T} exceeds the ${MAX_DECODE_CONTEXT} the decode attention supports`);
  let vocab = 0;
  for (const n of g.nodes) {
    if (!SUPPORTED.includes(n.op.op))
      throw new OptionError(`generate: layer '${n.name}' (${n.op.op}) cannot run in a decoder; it supports ${SUPPORTED.slice(1).join(', ')}`);
    if (n.op.op === 'attention' && !n.op.causal)
      throw new OptionError(`generate: attention '${n.name}' is not causal, so it cannot decode one token at a time`);
    if (n.op.op === 'embedding') {
      if (vocab) throw new OptionError('generate: the model must have exactly one token embedding');
      if (n.inputs[0] !== 0) throw new GraphError(`generate: embedding '${n.name}' must read the token ids`);
      vocab = n.op.vocab;
    }
    if (n.op.op === 'positional' && g.nodes[n.inputs[0]!]!.op.op !== 'embedding')
      throw new GraphError(`generate: positionalEmbedding '${n.name}' must follow the token embedding`);
  }
  if (!vocab) throw new OptionError('generate: the model has no token embedding');
  const out = g.output;
  const logits = out.width / rowsOf(out.shape);
  if (rowsOf(out.shape) !== T || logits > vocab) {
    throw new OptionError(`generate: the output must be [T, V] logits per position with V <= vocabulary ${vocab}, got [${out.shape.join(', ')}]`);
  }
  return { T, vocab, logits };
}

/** The decoder's GPU state and its two prepared dispatch lists. */
export interface DecodePlan extends DecodeShape {
  /** Token ids of the window: T + 1 u32 slots (the last for the token drawn at position T - 1). */
  tokens: GPUBuffer;
  /** [position, counter] u32. */
  state: GPUBuffer;
  prefill: Dispatch[];
  decode: Dispatch[];
  /** The dispatch drawing tokens: its sampling uniforms are set per call. */
  sample: Dispatch;
  destroy(): void;
}

/** Make every buffer and dispatch of one-row decoding, reading the parameters from `params` (the arena). */
export async function compileDecode(rt: Runtime, model: Model, params: GPUBuffer): Promise<DecodePlan> {
  const shape = decodeShape(model);
  const { T } = shape;
  const g = model.graph;
  const owned: GPUBuffer[] = [];
  const dispatches: Dispatch[] = [];
  const buffer = (bytes: number, label: string) => {
    const b = rt.buffers.create(bytes, { label });
    owned.push(b);
    return b;
  };
  const tokens = buffer((T + 1) * 4, 'decode tokens');
  const state = buffer(DECODE_STATE_BYTES, 'decode state');
  const rowOf = (n: GraphNode) => n.width / rowsOf(n.shape);
  const row = (n: GraphNode) => new Tensor(rt, buffer(rowOf(n) * 4, `decode ${n.name}`), [1, rowOf(n)], `decode ${n.name}`);
  const param = (name: string) => arenaView(rt, params, model.layout, name);
  const scratch = [0, 1].map((i) => new Tensor(rt, buffer(4, `decode ln scratch ${i}`), [1], 'ln scratch'));
  const acts = new Map<number, Tensor>();
  const steps: { id: number; d: Dispatch }[] = [];
  const push = async (id: number, made: Promise<Dispatch>) => {
    const d = await made;
    dispatches.push(d);
    steps.push({ id, d });
  };
  try {
    for (const n of g.nodes.slice(1)) {
      const op = n.op;
      if (acts.has(n.id)) continue; // written by the node before it (positions, a fused activation)
      const x = acts.get(n.inputs[0]!)!;
      const out = row(n);
      acts.set(n.id, out);
      switch (op.op) {
        case 'embedding': {
          const readers = g.consumers(n.id).map((id) => g.nodes[id]!);
          const pos = readers.length === 1 && readers[0]!.op.op === 'positional' ? readers[0]! : null;
          if (pos) acts.set(pos.id, out);
          const posTable = pos ? param((pos.op as { weight: string }).weight) : undefined;
          await push(
            n.id,
            prepareDecodeEmbedding(rt, { tokens, state, table: param(op.weight), ...(posTable ? { pos: posTable } : {}), out, V: op.vocab, C: rowOf(n), T }),
          );
          break;
        }
        case 'positional':
          throw new GraphError(`generate: positionalEmbedding '${n.name}' must be the token embedding's only reader`);
        case 'dense': {
          const readers = g.consumers(n.id).map((id) => g.nodes[id]!);
          const act = readers.length === 1 && readers[0]!.op.op === 'activation' ? readers[0]! : null;
          const ep = act?.op.op === 'activation' ? { activation: act.op.activation, slope: act.op.slope } : {};
          if (act) acts.set(act.id, out);
          const bias = op.bias ? param(op.bias) : undefined;
          await push(n.id, prepareMatmul(rt, { a: x, b: param(op.weight), c: out, ...(bias ? { bias } : {}) }, { transB: true, ...ep }));
          break;
        }
        case 'activation':
          await push(n.id, prepareActivation(rt, { x, y: out }, { activation: op.activation, slope: op.slope }));
          break;
        case 'layerNorm':
          await push(
            n.id,
            prepareLayerNormForward(rt, { x, gamma: param(op.gain), beta: param(op.shift), y: out, mean: scratch[0]!, rstd: scratch[1]! }, { eps: op.eps }),
          );
          break;
        case 'add':
          await push(n.id, prepareAdd(rt, { a: x, b: acts.get(n.inputs[1]!)!, out }));
          break;
        case 'attention': {
          const s = attentionShape(n.shape, op, 1);
          const cache = new Tensor(rt, buffer(2 * T * rowOf(n) * 4, `decode cache ${n.name}`), [2, T, rowOf(n)], `cache ${n.name}`);
          await push(n.id, prepareAttentionDecode(rt, { qkv: x, cache, state, out, H: s.H, D: s.D, T }));
          break;
        }
        default:
          throw new OptionError(`generate: layer '${n.name}' (${op.op}) cannot run in a decoder`);
      }
    }
    const logits = acts.get(g.output.id)!;
    const sample = await prepareSample(rt, { logits, state, tokens, V: shape.logits, tokenSlots: T + 1 }, 'generate');
    const advance = await prepareSample(rt, { logits, state, tokens, V: shape.logits, tokenSlots: T + 1 }, 'advance');
    dispatches.push(sample, advance);
    const lastAttention = Math.max(-1, ...g.nodes.filter((n) => n.op.op === 'attention').map((n) => n.id));
    const all = steps.map((s) => s.d);
    return {
      ...shape,
      tokens,
      state,
      sample,
      prefill: [...steps.filter((s) => s.id <= lastAttention).map((s) => s.d), advance],
      decode: [...all, sample],
      destroy() {
        for (const d of dispatches) rt.release(d);
        for (const b of owned) rt.buffers.free(b);
      },
    };
  } catch (e) {
    for (const d of dispatches) rt.release(d);
    for (const b of owned) rt.buffers.free(b);
    throw e;
  }
}
