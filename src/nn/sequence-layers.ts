// Layers of sequence models (activations [B, T, C] row-major): token and positional embeddings, fused multi-head
// attention and the pre-LayerNorm transformer block. Descriptors are plain data like those of layers.ts; the graph
// builder calls `sequenceNodes` to lay a sequence layer out as nodes, inferring and checking every shape.
import { DEFAULT_LEAKY_SLOPE } from '../core/activations.js';
import { GraphError } from '../core/errors.js';
import type { GraphNode, NodeOp, NodeShape, ParamSpec } from './graph.js';
import type { AttentionShape } from '../reference/attention.js';
import type { Init } from './layers.js';

/** Token ids [B, T] to rows of a learned [vocab, channels] table. */
export interface EmbeddingLayer {
  kind: 'embedding';
  vocab: number;
  channels: number;
  init: Init;
  name?: string;
}
/** Adds a learned [context, channels] table by position. */
export interface PositionalEmbeddingLayer {
  kind: 'positionalEmbedding';
  context: number;
  init: Init;
  name?: string;
}
/** Multi-head self-attention: a fused QKV projection, the attention and an output projection. */
export interface AttentionLayer {
  kind: 'attention';
  heads: number;
  causal: boolean;
  name?: string;
}
/** A pre-LayerNorm transformer block: attention and an MLP, each around a residual connection. */
export interface TransformerBlockLayer {
  kind: 'transformerBlock';
  heads: number;
  mlpRatio: number;
  causal: boolean;
  eps: number;
  name?: string;
}
/** The layers that exist only on sequences. */
export type SequenceLayer = EmbeddingLayer | PositionalEmbeddingLayer | AttentionLayer | TransformerBlockLayer;

/** GPT-2's initial standard deviation of embedding tables. */
const EMBEDDING_STD = 0.02;

const positiveInt = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new GraphError(`${what} must be a positive integer, got ${String(v)}`);
  return v;
};
const checkInit = (init: Init, what: string): Init => {
  if (typeof init === 'object' && !(init.normal > 0 && Number.isFinite(init.normal))) {
    throw new GraphError(`${what}: init.normal must be a positive standard deviation, got ${init.normal}`);
  }
  return init;
};
const checkCausal = (v: unknown, what: string): boolean => {
  if (typeof v !== 'boolean') throw new GraphError(`${what}: causal must be true or false, got ${String(v)}`);
  return v;
};

/** A learned [vocab, channels] table: token ids [T] -> [T, channels] (PyTorch's nn.Embedding, weight `name.weight`). */
export function embedding(vocab: number, channels: number, options: { init?: Init; name?: string } = {}): EmbeddingLayer {
  positiveInt(vocab, 'embedding: vocab');
  positiveInt(channels, 'embedding: channels');
  const init = checkInit(options.init ?? { normal: EMBEDDING_STD }, 'embedding');
  return { kind: 'embedding', vocab, channels, init, name: options.name };
}

/** Adds a learned [context, C] table of positions to a sequence [T, C] (T <= context; rows T.. are unused). */
export function positionalEmbedding(context: number, options: { init?: Init; name?: string } = {}): PositionalEmbeddingLayer {
  positiveInt(context, 'positionalEmbedding: context');
  const init = checkInit(options.init ?? { normal: EMBEDDING_STD }, 'positionalEmbedding');
  return { kind: 'positionalEmbedding', context, init, name: options.name };
}

/** Multi-head self-attention on [T, C]: a fused QKV projection [3C, C] + bias, fused (causal) attention, an output projection [C, C] + bias. */
export function attention(options: { heads: number; causal?: boolean; name?: string }): AttentionLayer {
  positiveInt(options?.heads, 'attention: heads');
  return { kind: 'attention', heads: options.heads, causal: checkCausal(options.causal ?? true, 'attention'), name: options.name };
}

/** A pre-LayerNorm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)) with mlp = dense(mlpRatio C, gelu), dense(C). */
export function transformerBlock(options: { heads: number; mlpRatio?: number; causal?: boolean; eps?: number; name?: string }): TransformerBlockLayer {
  positiveInt(options?.heads, 'transformerBlock: heads');
  const mlpRatio = positiveInt(options.mlpRatio ?? 4, 'transformerBlock: mlpRatio');
  const eps = options.eps ?? 1e-5;
  if (!(eps > 0 && eps < 1)) throw new GraphError(`transformerBlock: eps must be in (0, 1), got ${eps}`);
  return { kind: 'transformerBlock', heads: options.heads, mlpRatio, causal: checkCausal(options.causal ?? true, 'transformerBlock'), eps, name: options.name };
}

/** What the graph builder lends `sequenceNodes`: node and parameter registration. */
export interface SequenceBuilder {
  add(name: string, op: NodeOp, inputs: number[], shape: NodeShape): number;
  param(p: ParamSpec): string;
  node(id: number): GraphNode;
}

/** Rows per example of a node's output: T for a sequence [T, C], 1 otherwise. */
export const rowsOf = (shape: readonly number[]): number => (shape.length === 2 ? shape[0]! : 1);

/** The attention call of a node of shape [T, C] on B sequences. */
export const attentionShape = (shape: readonly number[], op: { heads: number; causal: boolean }, B: number): AttentionShape => ({
  B,
  T: shape[0]!,
  H: op.heads,
  D: shape[1]! / op.heads,
  causal: op.causal,
});

/** Whether node `n` is the token-id input of a sequence model. */
export const isTokenInput = (n: GraphNode): boolean => n.op.op === 'input' && n.op.tokens === true;

/** A dense node acting on the last axis of a sequence: weight [units, C] and bias [units]. */
export function denseSequenceNode(b: SequenceBuilder, name: string, from: number, units: number, init: Init): number {
  const [T, C] = b.node(from).shape as [number, number];
  const weight = b.param({ name: `${name}.weight`, shape: [units, C], role: 'weight', init, fanIn: C, fanOut: units });
  const bias = b.param({ name: `${name}.bias`, shape: [units], role: 'bias', init: 'zeros', fanIn: C, fanOut: units });
  return b.add(name, { op: 'dense', weight, bias }, [from], [T, units]);
}

function layerNormNode(b: SequenceBuilder, name: string, from: number, eps: number): number {
  const shape = b.node(from).shape;
  const C = shape[shape.length - 1]!;
  const gain = b.param({ name: `${name}.weight`, shape: [C], role: 'gain', init: 'ones', fanIn: C, fanOut: C });
  const shift = b.param({ name: `${name}.bias`, shape: [C], role: 'shift', init: 'zeros', fanIn: C, fanOut: C });
  return b.add(name, { op: 'layerNorm', eps, gain, shift }, [from], shape);
}

function attentionNodes(b: SequenceBuilder, name: string, from: number, heads: number, causal: boolean): number {
  const [T, C] = b.node(from).shape as [number, number];
  const qkv = denseSequenceNode(b, `${name}.qkv`, from, 3 * C, 'xavier');
  const mixed = b.add(`${name}.sdpa`, { op: 'attention', heads, causal }, [qkv], [T, C]);
  return denseSequenceNode(b, `${name}.proj`, mixed, C, 'xavier');
}

const show = (n: GraphNode): string =>
  isTokenInput(n)
    ? `token ids [${n.shape[0]}]`
    : n.shape.length === 2
      ? `sequence [${n.shape.join(', ')}] (T, C)`
      : n.shape.length === 3
        ? `image [${n.shape.join(', ')}]`
        : `vector of width ${n.shape[0]}`;

/** Lay a sequence layer out as nodes after node `from`; returns the last node's id. Throws GraphError naming the layer and the shapes. */
export function sequenceNodes(b: SequenceBuilder, layer: SequenceLayer, name: string, from: number): number {
  const input = b.node(from);
  const kind = layer.kind;
  if (kind === 'embedding') {
    if (!isTokenInput(input)) {
      throw new GraphError(`embedding '${name}' needs token ids [T] (a model built with sequential({ tokens: T }, ...)) as input, got a ${show(input)}`);
    }
    const { vocab: V, channels: C } = layer;
    const weight = b.param({ name: `${name}.weight`, shape: [V, C], role: 'weight', init: layer.init, fanIn: C, fanOut: C });
    return b.add(name, { op: 'embedding', weight, vocab: V }, [from], [input.shape[0]!, C]);
  }
  if (input.shape.length !== 2 || isTokenInput(input)) {
    const hint = isTokenInput(input) ? '; start the model with embedding(vocab, channels)' : '';
    throw new GraphError(`${kind} '${name}' needs a sequence [T, C], got a ${show(input)}${hint}`);
  }
  const [T, C] = input.shape as [number, number];
  switch (kind) {
    case 'positionalEmbedding': {
      if (T > layer.context) {
        throw new GraphError(
          `positionalEmbedding '${name}' has a table of ${layer.context} positions, but its input is a ${show(input)}: the context T = ${T} is longer than the table`,
        );
      }
      const weight = b.param({ name: `${name}.weight`, shape: [layer.context, C], role: 'weight', init: layer.init, fanIn: C, fanOut: C });
      return b.add(name, { op: 'positional', weight, context: layer.context }, [from], [T, C]);
    }
    case 'attention':
    case 'transformerBlock': {
      if (C % layer.heads !== 0) {
        throw new GraphError(`${kind} '${name}' splits a ${show(input)} into ${layer.heads} heads, but C = ${C} is not divisible by ${layer.heads}`);
      }
      if (kind === 'attention') return attentionNodes(b, name, from, layer.heads, layer.causal);
      const attn = attentionNodes(b, `${name}.attn`, layerNormNode(b, `${name}.ln1`, from, layer.eps), layer.heads, layer.causal);
      const mid = b.add(`${name}.res1`, { op: 'add' }, [from, attn], [T, C]);
      const fc = denseSequenceNode(b, `${name}.mlp.fc`, layerNormNode(b, `${name}.ln2`, mid, layer.eps), layer.mlpRatio * C, 'he');
      const act = b.add(`${name}.mlp.gelu`, { op: 'activation', activation: 'gelu', slope: DEFAULT_LEAKY_SLOPE }, [fc], [T, layer.mlpRatio * C]);
      const proj = denseSequenceNode(b, `${name}.mlp.proj`, act, C, 'xavier');
      return b.add(`${name}.res2`, { op: 'add' }, [mid, proj], [T, C]);
    }
  }
}
