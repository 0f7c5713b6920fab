// Lowering the sequence nodes (token embedding, positions, fused attention) of a graph, and the token feed that
// writes each batch's ids as u32 with the CSR index the embedding's backward reads. Activations are planned as
// [B, width]; these ops see the same memory as [B*T, C] rows. A positional embedding right after the token
// embedding is added by the embedding's own dispatch.
import { DataError, GraphError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { prepareAttentionBackward, prepareAttentionForward } from '../kernels/attention.js';
import {
  resolveAttentionImplementation,
  prepareComposedAttentionBackward,
  type AttentionChoice,
  prepareComposedAttentionForward,
} from '../kernels/attention-composed.js';
import { prepareEmbeddingBackward, prepareEmbeddingForward, preparePositionalEmbeddingBackward } from '../kernels/embedding.js';
import type { Graph, GraphNode, NodeOp } from '../nn/graph.js';
import { attentionShape } from '../nn/sequence-layers.js';
import type { Program } from './program.js';

type SequenceOp = Extract<NodeOp, { op: 'embedding' | 'positional' | 'attention' }>;
type Make = (t: (key: string) => Tensor) => Promise<Dispatch | Dispatch[]>;

const act = (id: number) => `act:${id}`;
const grad = (id: number) => `grad:${id}`;
const csr = (V: number) => ({ rowStart: `csr:rowStart:${V}`, positions: `csr:positions:${V}` });

export const isSequenceNode = (n: GraphNode): n is GraphNode & { op: SequenceOp } =>
  n.op.op === 'embedding' || n.op.op === 'positional' || n.op.op === 'attention';

/** The positional node an embedding's dispatch adds, or null; a positional node anywhere else is a GraphError. */
function positionsOf(g: Graph, n: GraphNode): GraphNode | null {
  const readers = g.consumers(n.id).map((id) => g.nodes[id]!);
  return readers.length === 1 && readers[0]!.op.op === 'positional' ? readers[0]! : null;
}

function embeddingOf(g: Graph, pos: GraphNode): GraphNode {
  const src = g.nodes[pos.inputs[0]!]!;
  if (src.op.op !== 'embedding' || positionsOf(g, src) !== pos) {
    throw new GraphError(
      `positionalEmbedding '${pos.name}' must read the token embedding directly, and be its only reader, to run on the GPU (it is added by the embedding's dispatch)`,
    );
  }
  return src;
}

/** Throws the GraphError of a sequence graph that cannot run on the GPU, before anything is allocated. */
export function checkSequenceLowering(g: Graph): void {
  for (const n of g.nodes) if (n.op.op === 'positional') embeddingOf(g, n);
}

/** Tensors shared with the generic lowering: parameter (and gradient) views by name. */
export interface SequenceKeys {
  param: (name: string) => string;
  pgrad?: (name: string) => string;
  /** How attention nodes run (the forward and backward must agree). */
  attention?: AttentionChoice;
}

/** Push the forward op of a sequence node (nothing for positions, which the embedding's dispatch adds). */
export function lowerSequenceForward(rt: Runtime, p: Program, g: Graph, n: GraphNode & { op: SequenceOp }, B: number, keys: SequenceKeys): void {
  const op = n.op;
  const x = act(n.inputs[0]!);
  const [T, C] = n.shape as [number, number];
  if (op.op === 'positional') {
    embeddingOf(g, n);
    return;
  }
  if (op.op === 'embedding') {
    const pos = positionsOf(g, n);
    const out = p.transient(act(pos ? pos.id : n.id), [B, n.width]);
    const table = keys.param(op.weight);
    const posTable = pos ? keys.param((pos.op as { weight: string }).weight) : null;
    p.push({
      label: pos ? `${n.name}:embedding+${pos.name}:positions` : `${n.name}:embedding`,
      reads: posTable ? [x, table, posTable] : [x, table],
      writes: [out],
      make: (t) =>
        prepareEmbeddingForward(rt, { ids: t(x).ref, table: t(table), out: t(out), N: B * T, V: op.vocab, C, ...(posTable ? { pos: t(posTable), T } : {}) }),
    });
    return;
  }
  const s = attentionShape(n.shape, op, B);
  const out = p.transient(act(n.id), [B, n.width]);
  if (resolveAttentionImplementation(rt, s, keys.attention) === 'composed') {
    // P stays for the backward; the scores are scratch.
    const probs = p.transient(`attn:probs:${n.id}`, [B * s.H * T, T]);
    const scores = p.transient(`attn:scores:${n.id}`, [B * s.H * T, T]);
    p.push({
      label: `${n.name}:attention`,
      reads: [x],
      writes: [out, probs, scores],
      make: (t) => prepareComposedAttentionForward(rt, { qkv: t(x), shape: s, out: t(out), probs: t(probs), scores: t(scores) }),
    });
    return;
  }
  const lse = p.transient(`attn:lse:${n.id}`, [B * s.H * T]);
  p.push({
    label: `${n.name}:attention`,
    reads: [x],
    writes: [out, lse],
    make: (t) => prepareAttentionForward(rt, { qkv: t(x), shape: s, out: t(out), lse: t(lse) }),
  });
}

/**
 * Push the backward ops of a sequence node: the tables' gradients (a tied table adds its gradient to the output
 * layer's, already in the arena) and, for attention, dQKV through `contribute` (`scratch` are its extra writes).
 */
export function lowerSequenceBackward(
  rt: Runtime,
  p: Program,
  g: Graph,
  n: GraphNode & { op: SequenceOp },
  B: number,
  keys: Required<Omit<SequenceKeys, 'attention'>> & Pick<SequenceKeys, 'attention'>,
  contribute: (label: string, reads: string[], make: (out: string) => Make, scratch?: string[]) => void,
): void {
  const op = n.op;
  const [T, C] = n.shape as [number, number];
  if (op.op === 'positional') {
    const dy = grad(n.id);
    const dPos = keys.pgrad(op.weight);
    // Rows T.. of a table longer than the context get no gradient: they stay zero in the arena.
    p.push({
      label: `${n.name}:dPositions`,
      reads: [dy],
      writes: [dPos],
      make: (t) => preparePositionalEmbeddingBackward(rt, { dOut: t(dy), dPos: Tensor.view(rt, t(dPos).buffer, [T * C], t(dPos).offset, 'dPos'), T, C }),
    });
    return;
  }
  if (op.op === 'embedding') {
    const pos = positionsOf(g, n);
    const dy = grad(pos ? pos.id : n.id);
    const dTable = keys.pgrad(op.weight);
    const tied = g.nodes.some((m) => m.op.op === 'dense' && m.op.weight === op.weight);
    const index = csr(op.vocab);
    p.push({
      label: `${n.name}:dEmbedding${tied ? '+tied' : ''}`,
      reads: tied ? [dy, index.rowStart, index.positions, dTable] : [dy, index.rowStart, index.positions],
      writes: [dTable],
      make: (t) =>
        prepareEmbeddingBackward(rt, {
          rowStart: t(index.rowStart).ref,
          positions: t(index.positions).ref,
          dOut: t(dy),
          dTable: t(dTable),
          N: B * T,
          V: op.vocab,
          C,
          accumulate: tied,
        }),
    });
    return;
  }
  const s = attentionShape(n.shape, op, B);
  if (resolveAttentionImplementation(rt, s, keys.attention) === 'composed') {
    const [x, probs, dy] = [act(n.inputs[0]!), `attn:probs:${n.id}`, grad(n.id)];
    const dProbs = p.transient(`attn:dprobs:${n.id}`, [B * s.H * T, T]);
    const dScores = p.transient(`attn:dscores:${n.id}`, [B * s.H * T, T]);
    contribute(
      `${n.name}:dAttention`,
      [x, probs, dy],
      (dqkv) => (t) =>
        prepareComposedAttentionBackward(rt, { qkv: t(x), shape: s, probs: t(probs), dOut: t(dy), dqkv: t(dqkv), dProbs: t(dProbs), dScores: t(dScores) }),
      [dProbs, dScores],
    );
    return;
  }
  const [x, out, lse, dy] = [act(n.inputs[0]!), act(n.id), `attn:lse:${n.id}`, grad(n.id)];
  const delta = p.transient(`attn:delta:${n.id}`, [B * s.H * T]);
  contribute(
    `${n.name}:dAttention`,
    [x, out, lse, dy],
    (dqkv) => (t) => prepareAttentionBackward(rt, { qkv: t(x), shape: s, out: t(out), lse: t(lse), dOut: t(dy), delta: t(delta), dqkv: t(dqkv) }),
    [delta],
  );
}

/**
 * Each batch's token ids on their way to the GPU: checked and converted to u32 (ids [B, T] and f32 labels
 * [B*T]), with the CSR index (positions grouped by token) of every vocabulary the model embeds, built into
 * arrays made once, so a step allocates nothing.
 */
export class TokenFeed {
  private readonly ids: Uint32Array;
  private readonly labels: Float32Array;
  private readonly indexes: { V: number; rowStart: Tensor; positions: Tensor; starts: Uint32Array; order: Uint32Array; next: Uint32Array }[];
  private readonly minVocab: number;

  constructor(
    private readonly rt: Runtime,
    g: Graph,
    readonly rows: number,
  ) {
    const vocabs = [...new Set(g.nodes.flatMap((n) => (n.op.op === 'embedding' ? [n.op.vocab] : [])))];
    this.minVocab = Math.min(...vocabs);
    this.ids = new Uint32Array(rows);
    this.labels = new Float32Array(rows);
    this.indexes = vocabs.map((V) => ({
      V,
      rowStart: Tensor.zeros(rt, [V + 1], `csr rowStart[${V}]`),
      positions: Tensor.zeros(rt, [rows], `csr positions[${rows}]`),
      starts: new Uint32Array(V + 1),
      order: new Uint32Array(rows),
      next: new Uint32Array(V),
    }));
  }

  /** Declare the index tensors in a program. */
  declare(p: Program): void {
    for (const ix of this.indexes) {
      p.persistent(csr(ix.V).rowStart, ix.rowStart);
      p.persistent(csr(ix.V).positions, ix.positions);
    }
  }

  get buffers(): GPUBuffer[] {
    return this.indexes.flatMap((ix) => [ix.rowStart.buffer, ix.positions.buffer]);
  }

  /** Check a batch of ids (a DataError names the first outside the vocabulary, by row and position) and write them with their index into `input`. */
  writeIds(input: GPUBuffer, x: ArrayLike<number>, T: number): void {
    const ids = this.ids;
    if (x.length < ids.length) throw new DataError(`token ids: a batch of ${ids.length / T} rows of ${T} needs ${ids.length} ids, got ${x.length}`);
    for (let i = 0; i < ids.length; i++) {
      const v = x[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < this.minVocab)) {
        throw new DataError(`token ids: id ${v} at row ${Math.floor(i / T)}, position ${i % T} is outside the vocabulary [0, ${this.minVocab})`);
      }
      ids[i] = v;
    }
    const q = this.rt.device.queue;
    for (const ix of this.indexes) {
      // Counting sort: positions of token v at starts[v] .. starts[v+1], in increasing order.
      const { starts, order, next, V } = ix;
      starts.fill(0);
      for (let i = 0; i < ids.length; i++) starts[ids[i]! + 1]++;
      for (let v = 0; v < V; v++) starts[v + 1] += starts[v]!;
      next.set(starts.subarray(0, V));
      for (let i = 0; i < ids.length; i++) order[next[ids[i]!]!++] = i;
      q.writeBuffer(ix.rowStart.buffer, ix.rowStart.offset, starts.buffer, starts.byteOffset, starts.byteLength);
      q.writeBuffer(ix.positions.buffer, ix.positions.offset, order.buffer, order.byteOffset, order.byteLength);
    }
    q.writeBuffer(input, 0, ids.buffer, ids.byteOffset, ids.byteLength);
  }

  /** Labels given as integers, checked against the classes and converted to the f32 the loss reads; a Float32Array is returned as is. */
  labelsOf(y: ArrayLike<number>, classes: number): Float32Array {
    if (y instanceof Float32Array) return y;
    for (let i = 0; i < this.labels.length; i++) {
      const v = y[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < classes)) throw new DataError(`labels: ${v} at index ${i} is not a class in [0, ${classes})`);
      this.labels[i] = v;
    }
    return this.labels;
  }
}
