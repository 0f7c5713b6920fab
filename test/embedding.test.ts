// Token and positional embeddings on the GPU: the break-it cases against the reference, NaN rows for ids out of
// range in the prepared form, accumulation onto a tied gradient, the positional gradient, and typed errors.
import { describe, expect, it } from 'vitest';
import { rejectsEach } from './helpers/allocation.js';
import {
  DataError,
  ShapeError,
  Tensor,
  embeddingBackward,
  embeddingBackwardIndex,
  embeddingForward,
  prepareEmbeddingBackward,
  prepareEmbeddingForward,
  preparePositionalEmbeddingBackward,
} from '../src/index.js';
import { runPrepared } from '../src/kernels/common.js';
import { embeddingCases } from '../src/selftest/attention-cases.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('embedding forward and backward against the reference', () => itRunsCases(embeddingCases()));

describe('embedding on the GPU', () => {
  it('an id outside [0, V) in the prepared form writes NaN over its row only', async () => {
    const rt = await gpu();
    const table = Tensor.from(rt, [1, 2, 3, 4, 5, 6], [3, 2], 'table');
    const ids = rt.upload(Uint32Array.of(2, 3, 0), 'ids');
    const out = Tensor.zeros(rt, [3, 2], 'out');
    await runPrepared(rt, [], [() => prepareEmbeddingForward(rt, { ids, table, out, N: 3, V: 3, C: 2 })]);
    const got = Array.from(await out.read());
    expect(got.slice(0, 2)).toEqual([5, 6]);
    expect(got.slice(2, 4).every(Number.isNaN)).toBe(true);
    expect(got.slice(4)).toEqual([1, 2]);
    for (const t of [table, out]) t.destroy();
    rt.buffers.free(ids);
  });

  it('accumulate adds the summed rows onto a tied gradient; the positional gradient sums over sequences', async () => {
    const rt = await gpu();
    const ids = [1, 1, 0, 1];
    const dOut = Tensor.from(rt, [1, 2, 3, 4, 5, 6, 7, 8], [4, 2], 'dOut');
    const dTable = Tensor.from(rt, [10, 10, 10, 10, 10, 10], [3, 2], 'dTable');
    const index = embeddingBackwardIndex(ids, 3);
    const rowStart = rt.upload(index.rowStart, 'rowStart');
    const positions = rt.upload(index.positions, 'positions');
    const dPos = Tensor.zeros(rt, [2, 2], 'dPos');
    await runPrepared(
      rt,
      [],
      [
        () => prepareEmbeddingBackward(rt, { rowStart, positions, dOut, dTable, N: 4, V: 3, C: 2, accumulate: true }),
        () => preparePositionalEmbeddingBackward(rt, { dOut, dPos, T: 2, C: 2 }),
      ],
    );
    expect(Array.from(await dTable.read())).toEqual([15, 16, 10 + 1 + 3 + 7, 10 + 2 + 4 + 8, 10, 10]);
    expect(Array.from(await dPos.read())).toEqual([1 + 5, 2 + 6, 3 + 7, 4 + 8]);
    for (const t of [dOut, dTable, dPos]) t.destroy();
    rt.buffers.free(rowStart);
    rt.buffers.free(positions);
  });

  it('bad input is a typed error naming what was wrong, and allocates nothing', async () => {
    const rt = await gpu();
    const table = Tensor.zeros(rt, [3, 2], 'table');
    const dOut = Tensor.zeros(rt, [4, 2], 'dOut');
    const bad: [() => Promise<unknown>, typeof ShapeError | typeof DataError, RegExp][] = [
      [() => embeddingForward(rt, [0, 3], table, 3, 2), DataError, /id 3 at position 1 is outside \[0, V\) with V = 3/],
      [() => embeddingForward(rt, [0], table, 4, 2), ShapeError, /'table' must hold V\*C = 8 elements from element 0, it has 6/],
      [() => embeddingForward(rt, [0, 1], table, 3, 2, { tableOffset: 1 }), ShapeError, /'table' must hold V\*C = 6 elements from element 1/],
      [() => embeddingForward(rt, [0, 1, 2], table, 3, 2, { pos: table, T: 2 }), ShapeError, /N = 3 ids must be whole sequences of T = 2/],
      [() => embeddingForward(rt, [0], table, 3, 0), ShapeError, /C must be a positive integer, got 0/],
      [() => embeddingBackward(rt, [0, 1, 2], dOut, 3, 2), ShapeError, /'dOut' must have N\*C = 6 elements, got 8/],
      [() => embeddingBackward(rt, [0, 1, 2, -1], dOut, 3, 2), DataError, /id -1 at position 3/],
    ];
    await rejectsEach(rt, bad);
    for (const t of [table, dOut]) t.destroy();
  });
});
