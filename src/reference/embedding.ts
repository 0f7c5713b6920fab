// CPU reference for shaders/embedding*.wgsl: a token embedding is a row gather out[n] = table[ids[n]] from a
// [V, C] table, and its gradient scatters back, summing the dOut rows of every position holding the same token.
// Plain loops, float64 accumulation. embeddingBackwardIndex is the CSR index (positions grouped by token) that the
// GPU backward reads so that it can sum without float atomics.
import { DataError, ShapeError } from '../core/errors.js';

function checkDims(V: number, C: number): void {
  if (!Number.isInteger(V) || V < 1) throw new ShapeError(`embedding: V must be a positive integer, got ${V}`);
  if (!Number.isInteger(C) || C < 1) throw new ShapeError(`embedding: C must be a positive integer, got ${C}`);
}

/** Throws a DataError naming the first id that is not an integer in [0, V). */
export function checkIds(ids: ArrayLike<number>, V: number): void {
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (!Number.isInteger(id) || id < 0 || id >= V) throw new DataError(`embedding: id ${id} at position ${n} is outside [0, V) with V = ${V}`);
  }
}

/** out [ids.length, C]: row n is table row ids[n]. */
export function embeddingForward(ids: ArrayLike<number>, table: Float32Array, V: number, C: number): Float32Array {
  checkDims(V, C);
  if (table.length !== V * C) throw new ShapeError(`embedding: table must have V * C = ${V} * ${C} = ${V * C} elements, got ${table.length}`);
  checkIds(ids, V);
  const out = new Float32Array(ids.length * C);
  for (let n = 0; n < ids.length; n++) out.set(table.subarray(ids[n] * C, ids[n] * C + C), n * C);
  return out;
}

/** dTable [V, C]: row v is the sum of dOut's rows at the positions holding token v (zero for absent tokens). */
export function embeddingBackward(ids: ArrayLike<number>, dOut: Float32Array, V: number, C: number): Float32Array {
  checkDims(V, C);
  if (dOut.length !== ids.length * C)
    throw new ShapeError(`embedding: dOut must have ids.length * C = ${ids.length} * ${C} = ${ids.length * C} elements, got ${dOut.length}`);
  checkIds(ids, V);
  const acc = new Float64Array(V * C);
  for (let n = 0; n < ids.length; n++) {
    for (let c = 0; c < C; c++) acc[ids[n] * C + c] += dOut[n * C + c];
  }
  return Float32Array.from(acc);
}

/**
 * Counting sort of positions by token: positions[rowStart[v] .. rowStart[v+1]) are the positions holding token v,
 * in increasing order, so a sum over them has a fixed order (deterministic backward).
 */
export function embeddingBackwardIndex(ids: ArrayLike<number>, V: number): { rowStart: Uint32Array; positions: Uint32Array } {
  if (!Number.isInteger(V) || V < 1) throw new ShapeError(`embedding: V must be a positive integer, got ${V}`);
  checkIds(ids, V);
  const rowStart = new Uint32Array(V + 1);
  for (let n = 0; n < ids.length; n++) rowStart[ids[n] + 1]++;
  for (let v = 0; v < V; v++) rowStart[v + 1] += rowStart[v];
  const next = rowStart.slice(0, V);
  const positions = new Uint32Array(ids.length);
  for (let n = 0; n < ids.length; n++) positions[next[ids[n]]++] = n;
  return { rowStart, positions };
}
