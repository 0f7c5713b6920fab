// Token (and positional) embeddings (shaders/embedding*.wgsl): a gather forward, and a backward that sums dOut rows
// per vocabulary row through a CSR index built on the CPU, deterministic without float atomics. The positional
// embedding's gradient is a column sum over the batch (sum_rows on dOut viewed [B, T*C]).
import { ShapeError } from '../core/errors.js';
import { resolveRef, type BufferRef } from '../gpu/buffers.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { checkIds, embeddingBackwardIndex } from '../reference/embedding.js';
import { runOneShot } from './common.js';
import { ceilDiv, gridFor } from './grid.js';
import { prepareSumRows } from './reduce.js';

export { embeddingBackwardIndex } from '../reference/embedding.js';

/** Buffers of the embedding forward: ids, the table, an optional positional table, the output rows. */
export interface EmbeddingForwardTensors {
  /** N token ids, u32. */
  ids: BufferRef;
  /** Holds the [V, C] table from element tableOffset on (e.g. the parameter arena). */
  table: Tensor;
  tableOffset?: number;
  /** [N, C], overwritten. */
  out: Tensor;
  N: number;
  V: number;
  C: number;
  /** A learned positional embedding [T, C] (from element posOffset on) added to row n at position n % T. */
  pos?: Tensor;
  posOffset?: number;
  /** Sequence length; N must be a multiple of it. Needed with pos. */
  T?: number;
}

/** Buffers of the embedding backward: the CSR index of the batch's ids, dOut and the table's gradient. */
export interface EmbeddingBackwardTensors {
  /** The CSR index of the batch's ids (embeddingBackwardIndex): V + 1 row starts and N positions, u32. */
  rowStart: BufferRef;
  positions: BufferRef;
  /** [N, C] */
  dOut: Tensor;
  /** Receives the [V, C] gradient from element dTableOffset on; overwritten, or added to when accumulate. */
  dTable: Tensor;
  dTableOffset?: number;
  N: number;
  V: number;
  C: number;
  /** Add onto dTable (a table tied to an output layer whose gradient is already there). Default false. */
  accumulate?: boolean;
}

function positive(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ShapeError(`embedding: ${name} must be a positive integer, got ${String(n)}`);
  return n;
}

/** Throws unless tensor `name` holds `count` elements from element `offset` on. */
function holds(name: string, t: Tensor, offset: number, count: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(`embedding: ${name}Offset must be a non-negative integer, got ${offset}`);
  if (t.size < offset + count) throw new ShapeError(`embedding: '${name}' must hold ${what} = ${count} elements from element ${offset}, it has ${t.size}`);
}

function u32s(name: string, ref: BufferRef, count: number): void {
  const size = resolveRef(ref).size;
  if (size < count * 4) throw new ShapeError(`embedding: '${name}' must hold ${count} u32 values (${count * 4} bytes), it has ${size} bytes`);
}

function checkForward(t: Omit<EmbeddingForwardTensors, 'ids' | 'out'> & { ids?: BufferRef; out?: Tensor }) {
  const [N, V, C] = [positive('N', t.N), positive('V', t.V), positive('C', t.C)];
  holds('table', t.table, t.tableOffset ?? 0, V * C, 'V*C');
  if (t.ids) u32s('ids', t.ids, N);
  if (t.out && t.out.size !== N * C) throw new ShapeError(`embedding: 'out' must have N*C = ${N * C} elements, got ${t.out.size}`);
  let T = 1;
  if (t.pos) {
    T = positive('T', t.T);
    if (N % T !== 0) throw new ShapeError(`embedding: N = ${N} ids must be whole sequences of T = ${T}`);
    holds('pos', t.pos, t.posOffset ?? 0, T * C, 'T*C');
  }
  return { N, V, C, T };
}

/** Prepare out[n] = table[ids[n]] (+ pos[n % T]) as one dispatch; an id outside [0, V) writes NaN over its row. */
export async function prepareEmbeddingForward(rt: Runtime, t: EmbeddingForwardTensors): Promise<Dispatch> {
  const { N, V, C, T } = checkForward(t);
  const kernel = await rt.kernel('embedding', { constants: { HAS_POS: !!t.pos } });
  return rt.prepare(kernel, {
    buffers: { ids: t.ids, table: t.table.ref, pos: t.pos?.ref ?? rt.placeholder, out: t.out.ref },
    needs: { ids: N * 4, table: ((t.tableOffset ?? 0) + V * C) * 4, pos: t.pos ? ((t.posOffset ?? 0) + T * C) * 4 : 0, out: N * C * 4 },
    uniforms: { params: { N, V, C, T, table_off: t.tableOffset ?? 0, pos_off: t.posOffset ?? 0 } },
    workgroups: gridFor(ceilDiv(N * C, 64)),
    label: `embedding ${N} ids of [${V}, ${C}]${t.pos ? ' + pos' : ''}`,
  });
}

function checkBackward(t: Omit<EmbeddingBackwardTensors, 'rowStart' | 'positions' | 'dTable'> & Partial<EmbeddingBackwardTensors>) {
  const [N, V, C] = [positive('N', t.N), positive('V', t.V), positive('C', t.C)];
  if (t.dOut.size !== N * C) throw new ShapeError(`embedding: 'dOut' must have N*C = ${N * C} elements, got ${t.dOut.size}`);
  if (t.dTable) holds('dTable', t.dTable, t.dTableOffset ?? 0, V * C, 'V*C');
  if (t.rowStart) u32s('rowStart', t.rowStart, V + 1);
  if (t.positions) u32s('positions', t.positions, N);
  return { N, V, C };
}

/** Prepare dTable[v] = sum of dOut's rows at the positions of token v (deterministic order) as one dispatch. */
export async function prepareEmbeddingBackward(rt: Runtime, t: EmbeddingBackwardTensors): Promise<Dispatch> {
  const { N, V, C } = checkBackward(t);
  const off = t.dTableOffset ?? 0;
  const kernel = await rt.kernel('embedding_grad', { constants: { ACCUMULATE: !!t.accumulate } });
  return rt.prepare(kernel, {
    buffers: { row_start: t.rowStart, positions: t.positions, dout: t.dOut.ref, dtable: t.dTable.ref },
    needs: { row_start: (V + 1) * 4, positions: N * 4, dout: N * C * 4, dtable: (off + V * C) * 4 },
    uniforms: { params: { N, V, C, dt_off: off } },
    workgroups: gridFor(ceilDiv(V * C, 64)),
    label: `embedding backward ${N} ids into [${V}, ${C}]`,
  });
}

/** Prepare dPos [T, C] = sum over the B sequences of dOut [B*T, C] (overwritten). */
export async function preparePositionalEmbeddingBackward(rt: Runtime, t: { dOut: Tensor; dPos: Tensor; T: number; C: number }): Promise<Dispatch> {
  const [T, C] = [positive('T', t.T), positive('C', t.C)];
  if (t.dOut.size % (T * C) !== 0) throw new ShapeError(`embedding: 'dOut' has ${t.dOut.size} elements, not whole sequences of T*C = ${T * C}`);
  if (t.dPos.size !== T * C) throw new ShapeError(`embedding: 'dPos' must have T*C = ${T * C} elements, got ${t.dPos.size}`);
  const rows = Tensor.view(rt, t.dOut.buffer, [t.dOut.size / (T * C), T * C], t.dOut.offset, 'dOut as [B, T*C]');
  return prepareSumRows(rt, { x: rows, out: Tensor.view(rt, t.dPos.buffer, [T * C], t.dPos.offset, 'dPos') });
}

/** Uploads ids as u32 after checking each is in [0, V) (a DataError names the first that is not). */
function uploadIds(rt: Runtime, ids: ArrayLike<number>, V: number): GPUBuffer {
  checkIds(ids, V);
  return rt.upload(Uint32Array.from(ids), 'token ids');
}

/** Embedding forward on the GPU for ids known on the CPU; allocates out [N, C]. */
export async function embeddingForward(
  rt: Runtime,
  ids: ArrayLike<number>,
  table: Tensor,
  V: number,
  C: number,
  options: { tableOffset?: number; pos?: Tensor; posOffset?: number; T?: number } = {},
): Promise<Tensor> {
  const N = ids.length;
  checkForward({ table, N, V, C, ...options });
  const buf = uploadIds(rt, ids, V);
  try {
    const made = await runOneShot(rt, { out: { shape: [N, C], label: 'embedding out' } }, ({ out }) => [
      () => prepareEmbeddingForward(rt, { ids: buf, table, out, N, V, C, ...options }),
    ]);
    return made.out;
  } finally {
    rt.buffers.free(buf);
  }
}

/** Embedding backward on the GPU for ids known on the CPU; allocates dTable [V, C]. */
export async function embeddingBackward(rt: Runtime, ids: ArrayLike<number>, dOut: Tensor, V: number, C: number): Promise<Tensor> {
  const N = ids.length;
  checkBackward({ dOut, N, V, C });
  const index = embeddingBackwardIndex(ids, V);
  const rowStart = rt.upload(index.rowStart, 'embedding row starts');
  const positions = rt.upload(index.positions, 'embedding positions');
  try {
    const made = await runOneShot(rt, { dTable: { shape: [V, C], label: 'embedding dTable' } }, ({ dTable }) => [
      () => prepareEmbeddingBackward(rt, { rowStart, positions, dOut, dTable, N, V, C }),
    ]);
    return made.dTable;
  } finally {
    rt.buffers.free(rowStart);
    rt.buffers.free(positions);
  }
}
