// The small GPT every system trains in the gpt suite: one spec, the exact initial parameters of Descent's
// gpt() (read from its arena, so the peers start from the same values, not just the same scheme) and seeded token
// batches with structure a model can learn in a few steps, so a falling loss shows the step trains.
import { gpt } from '../../nn/zoo.js';
import { Rng } from '../../util/rng.js';

/** A GPT's shape and its training batch. */
export interface GptSpec {
  vocab: number;
  context: number;
  layers: number;
  heads: number;
  channels: number;
  batch: number;
}

/** The suite's GPT: 2 blocks of 4 heads, 64 channels, context 64, vocabulary 65 (Shakespeare's characters), batch 16. */
export const GPT_SPEC: GptSpec = { vocab: 65, context: 64, layers: 2, heads: 4, channels: 64, batch: 16 };

/** AdamW as Descent's adamw() defaults it (PyTorch's): decoupled decay on every tensor. */
export const GPT_ADAMW = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

/** LayerNorm's epsilon in Descent's transformerBlock and layerNorm. */
export const GPT_LN_EPS = 1e-5;

/** Batches cycled through (batch 0 is the first and the last timed step, whose losses are compared). */
export const GPT_BATCHES = 4;

/** The row name of a spec, shared by Descent's row and the peers' figures. */
export const gptWorkloadName = (s: GptSpec): string => `GPT ${s.layers}x${s.heads}h C=${s.channels}, T=${s.context}, V=${s.vocab}, batch ${s.batch}, AdamW`;

/** One named tensor in Descent's layout (dense weights [out, in], as torch's Linear). */
export interface GptTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The problem: the initial tensors in the order of Descent's arena, their count, and the token batches. */
export interface GptProblem {
  spec: GptSpec;
  tensors: GptTensor[];
  params: number;
  /** GPT_BATCHES batches of ids [batch, context] and next-token labels of the same shape. */
  xs: Uint32Array[];
  ys: Uint32Array[];
}

/** Descent's model of a spec (untied head, seed 1). */
export const gptModel = (s: GptSpec, seed = 1) => gpt({ vocab: s.vocab, context: s.context, layers: s.layers, heads: s.heads, channels: s.channels, seed });

/**
 * Token streams of a fixed random bigram table (each id has one likely successor, taken 80% of the time, else a
 * uniform id): learnable within tens of steps, unlike uniform ids, whose loss cannot fall below ln(vocab).
 */
export function gptBatches(s: GptSpec, seed = 1): { xs: Uint32Array[]; ys: Uint32Array[] } {
  const rng = new Rng(seed * 7919 + 17);
  const next = Array.from({ length: s.vocab }, () => rng.int(s.vocab));
  const xs: Uint32Array[] = [];
  const ys: Uint32Array[] = [];
  for (let b = 0; b < GPT_BATCHES; b++) {
    const x = new Uint32Array(s.batch * s.context);
    const y = new Uint32Array(s.batch * s.context);
    for (let r = 0; r < s.batch; r++) {
      let id = rng.int(s.vocab);
      for (let t = 0; t < s.context; t++) {
        const following = rng.uniform(0, 1) < 0.8 ? next[id]! : rng.int(s.vocab);
        x[r * s.context + t] = id;
        y[r * s.context + t] = following;
        id = following;
      }
    }
    xs.push(x);
    ys.push(y);
  }
  return { xs, ys };
}

/** The spec's problem: Descent's initial parameters by name and the batches. */
export function gptProblem(s: GptSpec, seed = 1): GptProblem {
  const model = gptModel(s, seed);
  const arena = model.initialParameters();
  const tensors = model.layout.segments.map((g) => ({ name: g.name, shape: [...g.shape], data: arena.slice(g.offset, g.offset + g.length) }));
  return { spec: s, tensors, params: model.layout.count, ...gptBatches(s, seed) };
}

/** [rows, cols] row-major -> [cols, rows]: a torch-layout weight [out, in] as the [in, out] operand of x . W. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** A dense layer's weight (2-D, not the token or position table): the peers use it transposed. */
export const isDenseWeight = (t: GptTensor): boolean => t.shape.length === 2 && t.name !== '0.weight' && t.name !== '1.weight';

/** What a peer's GPT step reports. */
export interface PeerGptResult {
  msPerStep: number;
  tokensPerSecond: number;
  lossFirst: number;
  lossLast: number;
  /** Trainable parameters of the peer's model (compared with Descent's). */
  params: number;
  /** How the peer ran attention, where it has a choice. */
  note?: string;
}

/** Options of a peer's GPT run. */
export interface PeerGptOptions {
  spec: GptSpec;
  steps: number;
  warmup: number;
  seed?: number;
  syncEvery?: number;
}
