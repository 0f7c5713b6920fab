// Checks of what callers hand the training API (compile options, rates, datasets, tensors to load), each
// throwing the typed error that names what was wrong and what was expected, before anything reaches the GPU.
import { CheckpointError, DataError, OptionError } from '../core/errors.js';
import { LOSSES } from '../core/losses.js';
import type { Dataset } from '../data/dataset.js';
import type { Graph } from '../nn/graph.js';
import type { Segment } from '../nn/arena.js';
import { checkLearningRate, checkOptimizer, F32_MAX } from '../optim/options.js';

/** What a value is, for messages: 'null', 'an Array of 3 values', 'a Float64Array of 8 values', 'the string "x"'. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v !== 'object') return `the ${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an Array of ${v.length} values`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as ArrayLike<number>).length ?? v.byteLength} values`;
  if (v instanceof ArrayBuffer) return `an ArrayBuffer of ${v.byteLength} bytes`;
  return `an object (${v.constructor?.name ?? 'no prototype'})`;
}

const positiveInteger = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** compile()'s options: the loss, the optimizer and the metrics ring's sizes. */
export function checkCompileOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new OptionError(`compile: options must be an object such as { loss: 'cross_entropy' }, got ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  if (!(LOSSES as readonly unknown[]).includes(o.loss)) {
    throw new OptionError(`compile: loss must be one of ${LOSSES.map((l) => `'${l}'`).join(', ')}, got ${describe(o.loss)}`);
  }
  if (o.optimizer !== undefined) checkOptimizer(o.optimizer, 'compile: optimizer');
  for (const key of ['metricsEvery', 'maxPendingReads']) {
    // Zero staging buffers would leave a step waiting for a read that can never start.
    if (o[key] !== undefined && !positiveInteger(o[key])) {
      throw new OptionError(`compile: ${key} must be an integer >= 1, got ${describe(o[key])}`);
    }
  }
}

/**
 * One step's learning rate, as a flag test that allocates nothing when it passes: finite, >= 0, within f32
 * (the rate becomes an f32 uniform; above F32_MAX it would be Infinity there).
 */
export function checkStepRate(lr: number, step: number): void {
  if (typeof lr === 'number' && lr >= 0 && lr <= F32_MAX) return;
  checkLearningRate(lr, `step ${step} (0-based)`);
}

/** fit()'s `learningRate`: a schedule of (step, epoch), a constant number, or absent (the optimizer's rate). */
export function rateSchedule(v: unknown, where: string): ((step: number, epoch: number) => number) | null {
  if (v === undefined) return null;
  if (typeof v === 'function') return v as (step: number, epoch: number) => number;
  if (typeof v === 'number') {
    checkLearningRate(v, `${where}: learningRate`);
    return () => v;
  }
  throw new OptionError(`${where}: learningRate must be a number or a function of the step, got ${describe(v)}`);
}

/** A dataset's shape before its contents are read: an object whose x and y are Float32Arrays. */
export function checkDatasetObject(ds: unknown, where: string): asserts ds is Dataset {
  if (typeof ds !== 'object' || ds === null) {
    throw new DataError(`${where}: expected a Dataset ({ x, y, n, inputDim, task, ... } with Float32Array x and y), got ${describe(ds)}`);
  }
  const d = ds as Record<string, unknown>;
  for (const key of ['x', 'y']) {
    if (!(d[key] instanceof Float32Array)) {
      throw new DataError(`${where}: dataset '${String(d.name)}' has ${key} = ${describe(d[key])}; expected a Float32Array (Float32Array.from(${key}))`);
    }
  }
}

/** A sequence model's data: ids [N, T] and next-token labels [N, T] as integer arrays (e.g. a TextBatch of src/data/text.ts). */
export interface TokenData {
  x: Uint32Array | Int32Array;
  y: Uint32Array | Int32Array;
  name?: string;
}

/** The smallest vocabulary the model embeds: every id must be below it. */
export const vocabOf = (g: Graph): number => Math.min(...g.nodes.flatMap((n) => (n.op.op === 'embedding' ? [n.op.vocab] : [])));

/** Integer ids or labels: a Uint32Array or Int32Array whose every value is in [0, limit); a DataError names the first that is not. */
export function checkTokenArray(v: unknown, where: string, what: string, T: number, limit: number): asserts v is Uint32Array | Int32Array {
  if (!(v instanceof Uint32Array || v instanceof Int32Array)) {
    throw new DataError(`${where}: ${what} must be a Uint32Array or Int32Array of [N, ${T}] token ids, got ${describe(v)}`);
  }
  if (v.length === 0 || v.length % T !== 0) throw new DataError(`${where}: ${what} has ${v.length} values, not a whole number of rows of T = ${T}`);
  for (let i = 0; i < v.length; i++) {
    if (v[i]! >= limit || v[i]! < 0) {
      throw new DataError(`${where}: ${what} holds ${v[i]} at row ${Math.floor(i / T)}, position ${i % T}; expected a token id in [0, ${limit})`);
    }
  }
}

/**
 * A sequence model's TokenData as the rows fit and TrainingSession batch: x the ids and y the T labels of each row
 * (as f32, exact below 2^24), so `outputDim` is T (labels per row). Throws DataError naming what is wrong.
 */
export function tokenDataset(g: Graph, data: unknown, where: string): Dataset {
  const T = g.tokens!;
  if (typeof data !== 'object' || data === null)
    throw new DataError(`${where}: expected token data { x: ids [N, ${T}], y: labels [N, ${T}] }, got ${describe(data)}`);
  const { x, y, name } = data as Partial<TokenData>;
  checkTokenArray(x, where, 'x', T, vocabOf(g));
  checkTokenArray(y, where, 'y', T, g.output.shape[g.output.shape.length - 1]!);
  if (y.length !== x.length) throw new DataError(`${where}: y has ${y.length} labels for ${x.length} ids; give one next-token label per id`);
  return {
    name: name ?? 'tokens',
    x: Float32Array.from(x),
    y: Float32Array.from(y),
    n: x.length / T,
    inputDim: T,
    task: 'regression',
    classes: 0,
    outputDim: T,
  };
}

/** Model inputs: a Float32Array (other arrays would be read as the wrong numbers or not at all). */
export function checkFloat32(v: unknown, where: string): asserts v is Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new DataError(`${where}: expected a Float32Array of row-major values, got ${describe(v)} (convert with Float32Array.from)`);
  }
}

/** A step count to restore: a non-negative integer. */
export function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new CheckpointError(`${what} must be a non-negative integer, got ${n}`);
}

/** A record of named tensors to load: a plain object. */
export function checkRecordObject(record: unknown, where: string): asserts record is Record<string, unknown> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new CheckpointError(`${where}: expected an object of named tensors { name: { shape, data: Float32Array } }, got ${describe(record)}`);
  }
}

/**
 * A tensor to write into segment `seg`: its shape, a Float32Array of exactly that many values, every one
 * finite. Returns the data; throws a CheckpointError naming the tensor otherwise.
 */
export function checkTensor(t: unknown, seg: Segment, what: string): Float32Array {
  const want = `[${seg.shape.join(', ')}]`;
  if (typeof t !== 'object' || t === null) throw new CheckpointError(`${what} is ${describe(t)}; expected { shape: ${want}, data: Float32Array }`);
  const { shape, data } = t as { shape: unknown; data: unknown };
  const same = Array.isArray(shape) && shape.length === seg.shape.length && shape.every((d, i) => d === seg.shape[i]);
  if (!same) {
    const got = Array.isArray(shape) ? `[${shape.join(', ')}]` : describe(shape);
    throw new CheckpointError(`${what} has shape ${got} in the checkpoint; the model needs ${want}`);
  }
  if (!(data instanceof Float32Array)) {
    throw new CheckpointError(`${what} has data ${describe(data)}; expected a Float32Array of ${seg.length} values`);
  }
  if (data.length !== seg.length) throw new CheckpointError(`${what} has ${data.length} values; shape ${want} needs ${seg.length}`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new CheckpointError(`${what} holds ${data[i]} at index ${i}; every value must be finite`);
  }
  return data;
}
