import { describe, expect, it, vi } from 'vitest';
import { DataError } from '../src/core/errors.js';
import { checkDataset, splitDataset, standardize, subset, type Dataset } from '../src/data/dataset.js';
import { circles, moons, spiral, xor } from '../src/data/synthetic.js';
import { parseIdx } from '../src/data/idx.js';
import { loadMnist, loadMnistSplit, mnistFetchSource, type MnistFile, type MnistSource } from '../src/data/mnist.js';

/** A tiny dataset whose x values are all distinct, so rows can be traced through splits. */
function table(n = 10, inputDim = 3): Dataset {
  const x = Float32Array.from({ length: n * inputDim }, (_, i) => i);
  const y = Float32Array.from({ length: n }, (_, i) => i % 3);
  return { name: 'table', x, y, n, inputDim, task: 'classification', classes: 3, outputDim: 3 };
}

function regression(): Dataset {
  return {
    name: 'reg',
    x: new Float32Array([1, 2, 3, 4]),
    y: new Float32Array([0.5, -1, 2, 3]),
    n: 2,
    inputDim: 2,
    task: 'regression',
    classes: 0,
    outputDim: 2,
  };
}

function expectDataError(f: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a DataError matching ${message}`).toBeInstanceOf(DataError);
  expect((caught as Error).message).toMatch(message);
}

function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classes).fill(0);
  for (const v of ds.y) counts[v]!++;
  return counts;
}

const generators = { spiral, moons, circles, xor };

describe('synthetic 2-D sets', () => {
  for (const [name, gen] of Object.entries(generators)) {
    it(`${name}: same seed gives identical data, another seed different data`, () => {
      const a = gen({ n: 101, seed: 7 });
      const b = gen({ n: 101, seed: 7 });
      const c = gen({ n: 101, seed: 8 });
      expect(b.x).toEqual(a.x);
      expect(b.y).toEqual(a.y);
      expect(c.x).not.toEqual(a.x);
    });

    it(`${name}: shapes, labels in range, classes balanced and mixed, passes checkDataset`, () => {
      const ds = gen({ n: 101, seed: 3 });
      expect(ds.n).toBe(101);
      expect(ds.inputDim).toBe(2);
      expect(ds.x.length).toBe(202);
      expect(ds.y.length).toBe(101);
      expect(ds.task).toBe('classification');
      expect(ds.outputDim).toBe(ds.classes);
      expect(() => checkDataset(ds, { inputDim: 2, classes: ds.classes })).not.toThrow();
      const counts = classCounts(ds);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      // Shuffled: the first 20 rows are not all one class.
      expect(new Set(ds.y.subarray(0, 20)).size).toBeGreaterThan(1);
      const def = gen({});
      expect(def.n).toBeGreaterThanOrEqual(200);
      expect(() => checkDataset(def)).not.toThrow();
    });

    it(`${name}: rejects bad options with a DataError`, () => {
      expectDataError(() => gen({ n: 1 }), /n must be an integer >= \d/);
      expectDataError(() => gen({ n: 10.5 }), /n must be an integer/);
      expectDataError(() => gen({ noise: -0.1 }), /noise must be a finite number >= 0, got -0.1/);
      expectDataError(() => gen({ noise: NaN }), /noise must be a finite number >= 0, got NaN/);
      expectDataError(() => gen({ seed: 1.5 }), /seed must be an integer/);
    });
  }

  it('spiral: one arm per class, radius 0..1 without noise', () => {
    const ds = spiral({ n: 500, classes: 5, noise: 0, seed: 1 });
    expect(ds.classes).toBe(5);
    expect(classCounts(ds)).toEqual([100, 100, 100, 100, 100]);
    for (let i = 0; i < ds.n; i++) expect(Math.hypot(ds.x[2 * i]!, ds.x[2 * i + 1]!)).toBeLessThanOrEqual(1 + 1e-6);
    expectDataError(() => spiral({ n: 4, classes: 5 }), /n must be an integer >= 5 \(one point per class\), got 4/);
    expectDataError(() => spiral({ classes: 1 }), /classes must be an integer >= 2, got 1/);
  });

  it('circles: class 0 on the unit circle, class 1 on radius `factor`, without noise', () => {
    const ds = circles({ n: 60, noise: 0, factor: 0.3 });
    for (let i = 0; i < ds.n; i++) {
      const r = Math.hypot(ds.x[2 * i]!, ds.x[2 * i + 1]!);
      expect(r).toBeCloseTo(ds.y[i] === 0 ? 1 : 0.3, 5);
    }
    expectDataError(() => circles({ factor: 1 }), /factor must be in \(0, 1\), got 1/);
  });

  it('moons: points lie on the two half circles without noise', () => {
    const ds = moons({ n: 50, noise: 0 });
    for (let i = 0; i < ds.n; i++) {
      const [a, b] = [ds.x[2 * i]!, ds.x[2 * i + 1]!];
      const r = ds.y[i] === 0 ? Math.hypot(a, b) : Math.hypot(a - 1, b - 0.5);
      expect(r).toBeCloseTo(1, 5);
      expect(ds.y[i] === 0 ? b >= -1e-6 : b <= 0.5 + 1e-6).toBe(true);
    }
  });

  it('xor: the label is whether the blob centre coordinates differ in sign', () => {
    const ds = xor({ n: 400, noise: 0.1, seed: 5 });
    let agree = 0;
    for (let i = 0; i < ds.n; i++) if ((ds.x[2 * i]! * ds.x[2 * i + 1]! < 0 ? 1 : 0) === ds.y[i]) agree++;
    expect(agree / ds.n).toBeGreaterThan(0.99);
    expect(classCounts(ds)).toEqual([200, 200]);
    expectDataError(() => xor({ n: 3 }), /n must be an integer >= 4 \(one point per blob\)/);
  });
});

describe('checkDataset', () => {
  it('accepts sound classification and regression sets', () => {
    expect(checkDataset(table(), { inputDim: 3, classes: 3, outputDim: 3 }).n).toBe(10);
    expect(() => checkDataset(regression(), { inputDim: 2, outputDim: 2 })).not.toThrow();
  });

  it('names the dataset and what was expected for each bad input', () => {
    const bad = (patch: Partial<Dataset>) => ({ ...table(), ...patch });
    expectDataError(() => checkDataset(bad({ x: new Float32Array(29) })), /dataset 'table': x has 29 values, expected n \* inputDim = 10 \* 3 = 30/);
    expectDataError(() => checkDataset(bad({ y: new Float32Array(9) })), /dataset 'table': y has 9 values, expected n = 10/);
    expectDataError(() => checkDataset({ ...regression(), y: new Float32Array(3) }), /dataset 'reg': y has 3 values, expected n \* outputDim = 2 \* 2 = 4/);
    const nan = table();
    nan.x[3 * 4 + 2] = NaN;
    expectDataError(() => checkDataset(nan), /dataset 'table': x has NaN at row 4, column 2; every value must be finite/);
    const inf = regression();
    inf.y[3] = -Infinity;
    expectDataError(() => checkDataset(inf), /dataset 'reg': y has -Infinity at row 1, column 1/);
    const frac = table();
    frac.y[6] = 1.5;
    expectDataError(() => checkDataset(frac), /label at row 6 is 1.5, expected an integer class index in \[0, 3\)/);
    const high = table();
    high.y[2] = 3;
    expectDataError(() => checkDataset(high), /label at row 2 is 3, expected an integer class index in \[0, 3\)/);
    const neg = table();
    neg.y[0] = -1;
    expectDataError(() => checkDataset(neg), /label at row 0 is -1/);
    expectDataError(() => checkDataset(table(), { inputDim: 4 }), /rows have 3 features, but the model expects 4/);
    expectDataError(() => checkDataset(table(), { classes: 10 }), /has 3 classes, but the model expects 10/);
    expectDataError(() => checkDataset(regression(), { outputDim: 1 }), /has output width 2, but the model expects 1/);
    expectDataError(() => checkDataset(bad({ outputDim: 2 })), /outputDim must equal classes \(3\)/);
    expectDataError(() => checkDataset(bad({ classes: 1, outputDim: 1 })), /at least 2 classes, got 1/);
    expectDataError(() => checkDataset({ ...regression(), classes: 2 }), /classes must be 0 for regression/);
  });
});

describe('split, subset, standardize', () => {
  it('splitDataset: seeded, disjoint, covers every row', () => {
    const ds = table(50, 2);
    const { train, test } = splitDataset(ds, 0.2, 9);
    expect([train.n, test.n]).toEqual([40, 10]);
    expect(train.x.length).toBe(80);
    const firstCol = (d: Dataset) => Array.from({ length: d.n }, (_, i) => d.x[i * 2]!);
    const all = [...firstCol(train), ...firstCol(test)].sort((a, b) => a - b);
    expect(all).toEqual(firstCol(ds));
    // Labels travel with their rows.
    for (let i = 0; i < test.n; i++) expect(test.y[i]).toBe((test.x[i * 2]! / 2) % 3);
    expect(splitDataset(ds, 0.2, 9).test.x).toEqual(test.x);
    expect(splitDataset(ds, 0.2, 10).test.x).not.toEqual(test.x);
    expect(splitDataset(ds, 0, 1).test.n).toBe(0);
    expect(splitDataset(ds, 1, 1).train.n).toBe(0);
    expectDataError(() => splitDataset(ds, 1.5, 1), /testFraction must be in \[0, 1\], got 1.5/);
  });

  it('subset: picks rows in order, copies, checks indices', () => {
    const ds = regression();
    const s = subset(ds, [1, 1, 0]);
    expect(Array.from(s.x)).toEqual([3, 4, 3, 4, 1, 2]);
    expect(Array.from(s.y)).toEqual([2, 3, 2, 3, 0.5, -1]);
    expect(s.n).toBe(3);
    s.x[0] = 99;
    expect(ds.x[2]).toBe(3);
    expectDataError(() => subset(ds, [0, 2]), /index 1 is 2, expected an integer row in \[0, 2\)/);
  });

  it('standardize: train statistics applied to both sets, constant features map to 0', () => {
    const mk = (name: string, x: number[]): Dataset => ({
      name,
      x: new Float32Array(x),
      y: new Float32Array(x.length / 2),
      n: x.length / 2,
      inputDim: 2,
      task: 'classification',
      classes: 2,
      outputDim: 2,
    });
    const train = mk('tr', [1, 5, 3, 5, 5, 5, 7, 5]);
    const test = mk('te', [4, 5, 10, 6]);
    const r = standardize(train, test);
    expect(r.stats.mean[0]).toBeCloseTo(4);
    expect(r.stats.std[0]).toBeCloseTo(Math.sqrt(5));
    expect(r.stats.std[1]).toBe(1);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < 4; i++) {
      sum += r.train.x[2 * i]!;
      sq += r.train.x[2 * i]! ** 2;
      expect(r.train.x[2 * i + 1]).toBe(0);
    }
    expect(sum / 4).toBeCloseTo(0, 6);
    expect(sq / 4).toBeCloseTo(1, 6);
    expect(r.test!.x[0]).toBeCloseTo(0, 6);
    expect(r.test!.x[2]).toBeCloseTo(6 / Math.sqrt(5), 6);
    expect(r.test!.x[3]).toBeCloseTo(1, 6);
    expect(train.x[0]).toBe(1);
    expectDataError(() => standardize(train, { ...table(2, 3), name: 'wide' }), /test set 'wide' has 3 features, but train set 'tr' has 2/);
  });
});

/** An IDX file of unsigned bytes: magic 00 00 08 rank, big-endian dimensions, then `data`. */
function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out.set([0, 0, type, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

describe('IDX parser', () => {
  it('reads dimensions big-endian and the items row-major, all of them or a prefix', () => {
    const bytes = idx(
      [2, 3, 256],
      Array.from({ length: 2 * 3 * 256 }, (_, i) => i % 251),
    );
    const all = parseIdx(bytes, 'x');
    // 256 = 0x00000100 tells big-endian from little-endian (which would read 65536).
    expect(all.dims).toEqual([2, 3, 256]);
    expect(all.data.length).toBe(1536);
    expect([all.data[0], all.data[255], all.data[1535]]).toEqual([0, 255 % 251, 1535 % 251]);
    const labels = parseIdx(idx([4], [5, 0, 4, 1]), 'labels');
    expect(labels.dims).toEqual([4]);
    expect(Array.from(labels.data)).toEqual([5, 0, 4, 1]);
    // With a count, a prefix of the file is enough: the header and the first items.
    const prefix = parseIdx(bytes.subarray(0, 16 + 768), 'x', 1);
    expect(prefix.dims).toEqual([1, 3, 256]);
    expect(Array.from(prefix.data)).toEqual(Array.from(all.data.subarray(0, 768)));
  });

  it('rejects corrupt or truncated files with a DataError saying what is wrong', () => {
    const good = idx([2, 2], [1, 2, 3, 4]);
    const cases: [Uint8Array, RegExp, number?][] = [
      [new Uint8Array([0, 0, 8]), /f: not a valid IDX file: 3 bytes, shorter than the 4-byte magic number/],
      [Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), /magic number should start with two zero bytes, got 0x1f 0x8b/],
      [idx([2, 2], [1, 2, 3, 4], 0x0d), /type 0x0d \(float32\) is not supported, expected 0x08 \(ubyte\)/],
      [Uint8Array.from([0, 0, 8, 0]), /0 dimensions, expected at least 1/],
      [good.subarray(0, 10), /truncated header: 2 dimensions need 12 bytes, got 10/],
      [good.subarray(0, 15), /truncated: 2 items of 2 bytes \(dimensions 2x2\) need 16 bytes, got 15/],
      [Uint8Array.from([...good, 9]), /1 trailing bytes: .* need 16 bytes, got 17/],
      [good.subarray(0, 13), /truncated: 1 items of 2 bytes .* need 14 bytes, got 13/, 1],
      [good, /f: count must be an integer in \[0, 2\]/, 3],
    ];
    for (const [bytes, message, count] of cases) expectDataError(() => parseIdx(bytes, 'f', count), message);
  });
});

/** MNIST's class counts, as published: the training and the test split. */
const MNIST_COUNTS = {
  train: [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
  test: [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
};

describe('MNIST', () => {
  it('the original 60,000 + 10,000 digits: sizes, range, labels, class counts, first labels', async () => {
    const { train, test } = await loadMnist();
    expect([train.n, test.n]).toEqual([60000, 10000]);
    expect([train.x.length, test.x.length]).toEqual([60000 * 784, 10000 * 784]);
    checkDataset(train, { inputDim: 784, classes: 10 });
    checkDataset(test, { inputDim: 784, classes: 10 });
    for (const ds of [train, test]) {
      let lo = Infinity;
      let hi = -Infinity;
      let sum = 0;
      for (const v of ds.x) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        sum += v;
      }
      expect([lo, hi]).toEqual([0, 1]);
      // MNIST's well-known mean intensity is 0.1307.
      expect(sum / ds.x.length).toBeGreaterThan(0.12);
      expect(sum / ds.x.length).toBeLessThan(0.14);
      for (const c of classCounts(ds)) {
        expect(c / ds.n).toBeGreaterThan(0.05);
        expect(c / ds.n).toBeLessThan(0.15);
      }
    }
    expect(classCounts(train)).toEqual(MNIST_COUNTS.train);
    expect(classCounts(test)).toEqual(MNIST_COUNTS.test);
    expect(Array.from(train.y.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.y.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it('prefixes for smaller sizes, one split alone, copies the caller may edit, typed errors for bad sizes', async () => {
    const a = await loadMnist({ trainSize: 1000, testSize: 300 });
    a.train.x.fill(0);
    const full = await loadMnist();
    expect([a.train.n, a.test.n, a.train.x.length]).toEqual([1000, 300, 1000 * 784]);
    expect(Array.from(full.test.x.subarray(0, 300 * 784))).toEqual(Array.from(a.test.x));
    expect(full.test.y.subarray(0, 300)).toEqual(a.test.y);
    expect(full.train.y.subarray(0, 1000)).toEqual(a.train.y);
    expect(full.train.x.some((v) => v > 0)).toBe(true);
    const five = await loadMnistSplit({ split: 'test', count: 5 });
    expect([five.name, five.n, five.x.length]).toEqual(['mnist/test', 5, 5 * 784]);
    expect(Array.from(five.y)).toEqual([7, 2, 1, 0, 4]);
    expect((await loadMnistSplit({ split: 'train' })).n).toBe(60000);
    await expect(loadMnist({ trainSize: 60001 })).rejects.toThrow(/trainSize must be an integer in \[1, 60000\], got 60001/);
    await expect(loadMnist({ testSize: 0 })).rejects.toBeInstanceOf(DataError);
    await expect(loadMnistSplit({ split: 'test', count: 10001 })).rejects.toThrow(/count must be an integer in \[1, 10000\]/);
    await expect(loadMnistSplit({ split: 'val' as 'test' })).rejects.toThrow(/split must be 'train' or 'test', got 'val'/);
  });

  it('reads only the bytes a prefix needs, and retries a source that failed', async () => {
    const asked: [MnistFile, number][] = [];
    let fail = true;
    const digits = (n: number) => idx([60000, 28, 28], new Array<number>(n * 784).fill(255));
    const source: MnistSource = async (file, bytes) => {
      asked.push([file, bytes]);
      if (fail) throw new DataError('offline');
      return file.endsWith('labels-idx1-ubyte') ? idx([60000], [3, 1, 4]) : digits(3);
    };
    await expect(loadMnistSplit({ split: 'train', count: 3, source })).rejects.toThrow(/offline/);
    fail = false;
    const ds = await loadMnistSplit({ split: 'train', count: 3, source });
    expect(Array.from(ds.y)).toEqual([3, 1, 4]);
    expect(ds.x.every((v) => v === 1)).toBe(true);
    expect(asked.slice(-2).sort()).toEqual([
      ['train-images-idx3-ubyte', 16 + 3 * 784],
      ['train-labels-idx1-ubyte', 8 + 3],
    ]);
  });

  it('a source with the wrong files or corrupt bytes gives a DataError naming the file', async () => {
    const wrong =
      (images: Uint8Array, labels: Uint8Array): MnistSource =>
      async (file) =>
        file.includes('labels') ? labels : images;
    const labels = idx([10000], [1]);
    const load = (source: MnistSource) => loadMnistSplit({ split: 'test', count: 1, source });
    await expect(load(wrong(idx([10000, 28, 27], new Array<number>(756).fill(0)), labels))).rejects.toThrow(
      /t10k-images-idx3-ubyte: expected MNIST's 10000x28x28, got 10000x28x27/,
    );
    await expect(load(wrong(idx([60000, 28, 28], new Array<number>(784).fill(0)), labels))).rejects.toThrow(/expected MNIST's 10000x28x28, got 60000x28x28/);
    await expect(load(wrong(idx([10000, 28, 28], new Array<number>(784).fill(0)), idx([10000], [10])))).rejects.toThrow(
      /t10k-labels-idx1-ubyte: label 0 is 10, expected 0..9/,
    );
    await expect(load(wrong(idx([10000, 28, 28], [1, 2, 3]), labels))).rejects.toThrow(/t10k-images-idx3-ubyte: not a valid IDX file: truncated/);
    await expect(load(wrong(new Uint8Array([31, 139, 8, 0]), labels))).rejects.toBeInstanceOf(DataError);
  });

  it('mnistFetchSource asks for a byte range, takes a whole file too, and types HTTP errors', async () => {
    const urls = { 'train-images-idx3-ubyte': '/a', 'train-labels-idx1-ubyte': '/b', 't10k-images-idx3-ubyte': '/c', 't10k-labels-idx1-ubyte': '/d' };
    const fetchMock = vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
      if (url === '/d') return new Response(null, { status: 404 });
      return new Response(new Uint8Array([1, 2, 3]), { status: url === '/a' ? 206 : 200 });
    });
    try {
      const source = mnistFetchSource(urls);
      expect(Array.from(await source('train-images-idx3-ubyte', 3))).toEqual([1, 2, 3]);
      expect(fetchMock).toHaveBeenCalledWith('/a', { headers: { Range: 'bytes=0-2' } });
      expect((await source('t10k-images-idx3-ubyte', 2)).length).toBe(3);
      await expect(source('t10k-labels-idx1-ubyte', 9)).rejects.toThrow(/fetching t10k-labels-idx1-ubyte from \/d failed: HTTP 404/);
    } finally {
      fetchMock.mockRestore();
    }
  });

  it('is real digits: a nearest-class-mean classifier beats 75% on the test split', async () => {
    const { train, test } = await loadMnist({ trainSize: 20000, testSize: 2000 });
    const means = new Float64Array(10 * 784);
    const counts = classCounts(train);
    for (let r = 0; r < train.n; r++) {
      const c = train.y[r]!;
      for (let p = 0; p < 784; p++) means[c * 784 + p] += train.x[r * 784 + p]! / counts[c]!;
    }
    let correct = 0;
    for (let r = 0; r < test.n; r++) {
      let best = -1;
      let bestDist = Infinity;
      for (let c = 0; c < 10; c++) {
        let d = 0;
        for (let p = 0; p < 784; p++) d += (test.x[r * 784 + p]! - means[c * 784 + p]!) ** 2;
        if (d < bestDist) [best, bestDist] = [c, d];
      }
      if (best === test.y[r]) correct++;
    }
    expect(correct / test.n).toBeGreaterThan(0.75);
  });
});
