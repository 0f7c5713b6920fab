// The Language model lab's CPU side: the network's current parameters, read back from the GPU, run through the
// float64 reference forward (SequenceReference) for one short sample, to get what the fused GPU attention never
// stores: the T x T attention weights of a head. Also next-character sampling (temperature, top-k, seeded), used to
// generate text on the CPU where the network offers no generate().
import { Rng, SequenceReference, type Model, type OptimizerDef, type TensorRecord } from '../../src/index.js';
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

/** Options of text generation, as net.generate takes them. */
export interface SampleOptions {
  tokens: number;
  temperature: number;
  topK?: number;
  seed?: number;
}

/** An id drawn from softmax(logits / temperature) over the topK largest logits (all when absent); temperature 0 takes the argmax. */
export function sampleLogits(logits: ArrayLike<number>, temperature: number, topK: number | undefined, rng: Rng): number {
  const order = Array.from(logits, (v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
  if (temperature <= 0) return order[0]![1];
  const kept = order.slice(0, Math.max(1, Math.min(topK ?? order.length, order.length)));
  const w = kept.map(([v]) => Math.exp((v - kept[0]![0]) / temperature));
  let u = rng.next() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kept.length; i++) if ((u -= w[i]!) <= 0) return kept[i]![1];
  return kept[kept.length - 1]![1];
}

/**
 * `tokens` new ids after `prompt`, each from the reference forward over the last T ids so far (the model's whole
 * context). Yields to the page between characters (`pause`), so a long generation does not freeze it.
 */
export async function generateOnCpu(ref: SequenceReference, prompt: Uint32Array, o: SampleOptions, pause: () => Promise<void>): Promise<Uint32Array> {
  const T = contextOf(ref);
  const V = ref.model.graph.outputDim / T;
  const rng = new Rng(o.seed ?? 1);
  const ids = Array.from(prompt);
  const out = new Uint32Array(o.tokens);
  for (let n = 0; n < o.tokens; n++) {
    const window = ids.slice(-T);
    const { acts } = ref.forward(padded(ref, window), 1);
    const at = (window.length - 1) * V;
    const next = sampleLogits(acts[acts.length - 1]!.subarray(at, at + V), o.temperature, o.topK, rng);
    ids.push((out[n] = next));
    await pause();
  }
  return out;
}
