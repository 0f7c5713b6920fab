// The Language model lab's CPU side: the network's current parameters, read back from the GPU, run through the
// float64 reference forward (SequenceReference) for one short sample, to get what the fused GPU attention never
// stores: the T x T attention weights of a head.
import { SequenceReference, type Model, type OptimizerDef, type TensorRecord } from '../../src/index.js';
import { attentionProbs } from '../../src/reference/attention-probs.js';

/** The reference forward of a model at the parameters of a TensorRecord (as net.parameters() returns). */
export function cpuModel(model: Model, optimizer: OptimizerDef, record: TensorRecord): SequenceReference {
  const flat = new Float32Array(model.layout.length);
  for (const s of model.layout.segments) {
    const t = record[s.name];
    if (!t || t.data.length !== s.length) throw new Error(`parameters: expected '${s.name}' with ${s.length} values, got ${t ? t.data.length : 'none'}`);
    flat.set(t.data, s.offset);
  }
  return new SequenceReference(model, optimizer, 'f64', flat);
}

/** The context length T of a sequence model. */
const contextOf = (ref: SequenceReference): number => ref.model.graph.tokens!;

/** `ids` (at most T of them) padded to T: causal attention keeps positions past the ids from changing theirs. */
function padded(ref: SequenceReference, ids: ArrayLike<number>): Uint32Array {
  const T = contextOf(ref);
  if (ids.length < 1 || ids.length > T) throw new Error(`expected 1 to ${T} token ids, got ${ids.length}`);
  const out = new Uint32Array(T);
  out.set(Array.from(ids));
  return out;
}

/**
 * Attention weights P [T, T] (row = query) of `head` in block `layer` (0-based) over the sample `ids` (T of them):
 * the reference forward to that block's fused QKV projection, then softmax(q k^T / sqrt(D)) with the causal mask.
 */
export function attentionMap(ref: SequenceReference, ids: ArrayLike<number>, layer: number, head: number, heads: number): Float64Array {
  const T = contextOf(ref);
  const { acts } = ref.forward(padded(ref, ids), 1);
  const nodes = ref.model.graph.nodes.filter((n) => n.op.op === 'attention');
  const node = nodes[layer];
  if (!node) throw new Error(`layer ${layer} is not a block of this model (it has ${nodes.length})`);
  const C = node.width / T;
  const qkv = acts[node.inputs[0]!]!;
  const view = (offset: number) => ({ data: qkv, offset, stride: 3 * C });
  return attentionProbs(view(0), view(C), { B: 1, T, H: heads, D: C / heads, causal: true }, 0, head);
}
