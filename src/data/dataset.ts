import { DataError } from '../core/errors.js';
import { Rng } from '../util/rng.js';

/** A table of examples in flat float32 arrays, ready to be written to GPU buffers batch by batch. */
export interface Dataset {
  name: string;
  /** n rows of `inputDim` features, row-major. */
  x: Float32Array;
  /** Classification: n class indices stored as floats (0..classes-1). Regression: n rows of `outputDim`. */
  y: Float32Array;
  n: number;
  inputDim: number;
  task: 'classification' | 'regression';
  /** Number of classes (classification); 0 for regression. */
  classes: number;
  /** `classes` for classification, the target width for regression. */
  outputDim: number;
}

/** What a model expects of its data; every field given is checked by `checkDataset`. */
export interface DatasetExpectation {
  inputDim?: number;
  classes?: number;
  outputDim?: number;
}

/** Per-feature statistics from `standardize`, kept so new inputs can be transformed the same way. */
export interface Standardization {
  mean: Float32Array;
  std: Float32Array;
}

const isCount = (v: number): boolean => Number.isInteger(v) && v >= 0;

/** Throws a DataError naming the dataset and the first thing wrong with it; returns it unchanged if sound. */
export function checkDataset(ds: Dataset, expect: DatasetExpectation = {}): Dataset {
  const where = `dataset '${ds.name}'`;
  if (!isCount(ds.n)) throw new DataError(`${where}: n must be a non-negative integer, got ${ds.n}`);
  if (!isCount(ds.inputDim) || ds.inputDim === 0) {
    throw new DataError(`${where}: inputDim must be a positive integer, got ${ds.inputDim}`);
  }
  if (ds.task !== 'classification' && ds.task !== 'regression') {
    throw new DataError(`${where}: task must be 'classification' or 'regression', got '${String(ds.task)}'`);
  }
  const cls = ds.task === 'classification';
  if (cls) {
    if (!isCount(ds.classes) || ds.classes < 2) {
      throw new DataError(`${where}: a classification dataset needs at least 2 classes, got ${ds.classes}`);
    }
    if (ds.outputDim !== ds.classes) {
      throw new DataError(`${where}: outputDim must equal classes (${ds.classes}) for classification, got ${ds.outputDim}`);
    }
  } else {
    if (ds.classes !== 0) throw new DataError(`${where}: classes must be 0 for regression, got ${ds.classes}`);
    if (!isCount(ds.outputDim) || ds.outputDim === 0) {
      throw new DataError(`${where}: outputDim must be a positive integer, got ${ds.outputDim}`);
    }
  }
  if (ds.x.length !== ds.n * ds.inputDim) {
    throw new DataError(`${where}: x has ${ds.x.length} values, expected n * inputDim = ${ds.n} * ${ds.inputDim} = ${ds.n * ds.inputDim}`);
  }
  const yWidth = cls ? 1 : ds.outputDim;
  if (ds.y.length !== ds.n * yWidth) {
    const what = cls ? `n = ${ds.n} (one class index per row)` : `n * outputDim = ${ds.n} * ${yWidth} = ${ds.n * yWidth}`;
    throw new DataError(`${where}: y has ${ds.y.length} values, expected ${what}`);
  }
  checkFinite(where, 'x', ds.x, ds.inputDim);
  checkFinite(where, 'y', ds.y, yWidth);
  if (cls) {
    for (let r = 0; r < ds.n; r++) {
      const v = ds.y[r]!;
      if (!Number.isInteger(v) || v < 0 || v >= ds.classes) {
        throw new DataError(`${where}: label at row ${r} is ${v}, expected an integer class index in [0, ${ds.classes})`);
      }
    }
  }
  if (expect.inputDim !== undefined && expect.inputDim !== ds.inputDim) {
    throw new DataError(`${where}: rows have ${ds.inputDim} features, but the model expects ${expect.inputDim}`);
  }
  if (expect.classes !== undefined && expect.classes !== ds.classes) {
    throw new DataError(`${where}: has ${ds.classes} classes, but the model expects ${expect.classes}`);
  }
  if (expect.outputDim !== undefined && expect.outputDim !== ds.outputDim) {
    throw new DataError(`${where}: has output width ${ds.outputDim}, but the model expects ${expect.outputDim}`);
  }
  return ds;
}

function checkFinite(where: string, field: 'x' | 'y', a: Float32Array, width: number): void {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    // v - v is NaN for both NaN and ±Inf, and the comparison is cheaper than Number.isFinite on hot loops.
    if (v - v !== 0) {
      throw new DataError(`${where}: ${field} has ${v} at row ${Math.floor(i / width)}, column ${i % width}; every value must be finite`);
    }
  }
}

/** A new dataset made of the given rows, in the given order (rows may repeat); arrays are copied. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const yWidth = ds.task === 'classification' ? 1 : ds.outputDim;
  const n = indices.length;
  const x = new Float32Array(n * ds.inputDim);
  const y = new Float32Array(n * yWidth);
  for (let k = 0; k < n; k++) {
    const r = indices[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= ds.n) {
      throw new DataError(`subset of dataset '${ds.name}': index ${k} is ${r}, expected an integer row in [0, ${ds.n})`);
    }
    x.set(ds.x.subarray(r * ds.inputDim, (r + 1) * ds.inputDim), k * ds.inputDim);
    y.set(ds.y.subarray(r * yWidth, (r + 1) * yWidth), k * yWidth);
  }
  return { ...ds, name, x, y, n };
}

/** Fisher-Yates permutation of 0..n-1 driven by a seeded Rng, so a seed fixes the order everywhere. */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Shuffles the rows with `seed`, then puts round(n * testFraction) of them in `test` and the rest in `train`. */
export function splitDataset(ds: Dataset, testFraction: number, seed: number): { train: Dataset; test: Dataset } {
  if (!(testFraction >= 0 && testFraction <= 1)) {
    throw new DataError(`splitDataset of '${ds.name}': testFraction must be in [0, 1], got ${testFraction}`);
  }
  const p = permutation(ds.n, seed);
  const nTest = Math.round(ds.n * testFraction);
  return {
    train: subset(ds, p.subarray(nTest), `${ds.name}/train`),
    test: subset(ds, p.subarray(0, nTest), `${ds.name}/test`),
  };
}

/**
 * Rescales each input feature to zero mean and unit variance using statistics of `train` only (so nothing about
 * the test set leaks into training), and applies the same transform to `test`. Returns new datasets.
 */
export function standardize(train: Dataset, test?: Dataset): { train: Dataset; test?: Dataset; stats: Standardization } {
  const d = train.inputDim;
  if (train.n === 0) throw new DataError(`standardize: dataset '${train.name}' is empty, so it has no statistics`);
  if (test !== undefined && test.inputDim !== d) {
    throw new DataError(`standardize: test set '${test.name}' has ${test.inputDim} features, but train set '${train.name}' has ${d}`);
  }
  // Two passes in float64: one-pass sum-of-squares loses everything on features with a large offset.
  const mean = new Float64Array(d);
  for (let i = 0; i < train.x.length; i++) mean[i % d] += train.x[i]!;
  for (let j = 0; j < d; j++) mean[j] /= train.n;
  const variance = new Float64Array(d);
  for (let i = 0; i < train.x.length; i++) {
    const t = train.x[i]! - mean[i % d]!;
    variance[i % d] += t * t;
  }
  const std = new Float32Array(d);
  // A constant feature (e.g. an always-black MNIST corner) keeps std 1 so it maps to 0 instead of NaN.
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(variance[j]! / train.n) || 1;
  const stats: Standardization = { mean: Float32Array.from(mean), std };
  const result: { train: Dataset; test?: Dataset; stats: Standardization } = {
    train: applyStandardization(train, stats),
    stats,
  };
  if (test !== undefined) result.test = applyStandardization(test, stats);
  return result;
}

/** Applies saved `standardize` statistics to a dataset (e.g. new inputs at inference); returns a new dataset. */
export function applyStandardization(ds: Dataset, stats: Standardization): Dataset {
  const d = ds.inputDim;
  if (stats.mean.length !== d || stats.std.length !== d) {
    throw new DataError(`dataset '${ds.name}' has ${d} features, but the standardization statistics are for ${stats.mean.length}`);
  }
  const x = new Float32Array(ds.x.length);
  for (let i = 0; i < x.length; i++) x[i] = (ds.x[i]! - stats.mean[i % d]!) / stats.std[i % d]!;
  return { ...ds, x, y: ds.y.slice() };
}
