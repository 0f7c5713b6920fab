// The Language model lab's data and model: the sonnets as token ids, training windows, a fixed validation set,
// the bigram baseline a model has to beat, and the lab's choices (layers, heads, channels, context, rate) as a GPT
// and an AdamW optimizer.
import { adamw, bigramBaseline, gpt, loadSonnets, sequenceWindows, type Model, type OptimizerDef, type TextCorpus, type TokenData } from '../../src/index.js';

/** What the form chooses. */
export interface LmConfig {
  layers: number;
  heads: number;
  channels: number;
  context: number;
  lr: number;
  batch: number;
}

/** Bounds of each field, for the form and for checking a configuration before anything compiles. */
export const LIMITS: Record<keyof LmConfig, { min: number; max: number }> = {
  layers: { min: 1, max: 6 },
  heads: { min: 1, max: 8 },
  channels: { min: 8, max: 256 },
  context: { min: 4, max: 128 },
  lr: { min: 1e-5, max: 0.1 },
  batch: { min: 1, max: 64 },
};

export const DEFAULT_CONFIG: LmConfig = { layers: 2, heads: 4, channels: 64, context: 64, lr: 3e-3, batch: 16 };

/** Why a configuration cannot be built (null when it can): the field, what it was and what was expected. */
export function configProblem(c: LmConfig): string | null {
  for (const key of Object.keys(LIMITS) as (keyof LmConfig)[]) {
    const { min, max } = LIMITS[key];
    const v = c[key];
    const integer = key !== 'lr';
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max)
      return `${key} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(v)}`;
  }
  if (c.channels % c.heads !== 0) return `channels (${c.channels}) must be a multiple of heads (${c.heads}): each head gets channels / heads columns`;
  return null;
}

/** The corpus as ids, with the baselines, shared by every model the page builds. */
export interface LmText {
  corpus: TextCorpus;
  trainIds: Uint32Array;
  validationIds: Uint32Array;
  /** Bigram and unigram cross-entropy on the validation text, bits per character. */
  bigramBits: number;
  unigramBits: number;
}

export async function loadText(): Promise<LmText> {
  const corpus = await loadSonnets();
  const trainIds = corpus.tokenizer.encode(corpus.train);
  const validationIds = corpus.tokenizer.encode(corpus.validation);
  const base = bigramBaseline(trainIds, validationIds, corpus.tokenizer.size);
  return { corpus, trainIds, validationIds, bigramBits: base.bitsPerChar, unigramBits: base.unigramBitsPerChar };
}

/** Most validation windows evaluated: enough for a steady curve, few enough to cost a fraction of the training. */
const VALIDATION_ROWS = 32;

/** Training windows (overlapping by three quarters: more distinct contexts per epoch) and the validation windows. */
export function windows(text: LmText, context: number): { train: TokenData; validation: TokenData; validationRows: number } {
  const train = sequenceWindows(text.trainIds, context, Math.max(1, context >> 2));
  const val = sequenceWindows(text.validationIds, context);
  const rows = Math.min(VALIDATION_ROWS, val.rows);
  const validation = { x: val.x.subarray(0, rows * context), y: val.y.subarray(0, rows * context) };
  return { train: { x: train.x, y: train.y }, validation, validationRows: rows };
}

export function lmModel(c: LmConfig, vocab: number): Model {
  return gpt({ vocab, context: c.context, layers: c.layers, heads: c.heads, channels: c.channels, tie: true, seed: 1 });
}

export const lmOptimizer = (c: LmConfig): OptimizerDef => adamw({ lr: c.lr, weightDecay: 0.01 });

/** A one-line description of the model: its shape and parameter count. */
export function describeModel(c: LmConfig, model: Model): string {
  return `${c.layers} block${c.layers === 1 ? '' : 's'}, ${c.heads} head${c.heads === 1 ? '' : 's'} of ${c.channels / c.heads} channels, context ${c.context}: ${model.layout.count.toLocaleString('en-US')} parameters (embedding tied to the head), AdamW lr ${c.lr}, batches of ${c.batch}`;
}
