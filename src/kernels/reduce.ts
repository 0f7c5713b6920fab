import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { bind, expectShape, matrixDims, runPrepared } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

/** Columns per workgroup and lanes per column of the column reductions (shaders/include/col_reduce.wgsl). */
export const COL_WG_X = 32;
export const COL_WG_Y = 8;
/** Inputs with at most this many rows are summed a whole column per lane. */
export const SERIAL_ROWS = 256;

/** Prepare out[j] = sum_i x[i, j] for x [B, N] and out [N] (the bias gradient); out is overwritten. */
export async function prepareSumRows(rt: Runtime, t: { x: Tensor; out: Tensor }): Promise<Dispatch> {
  const [B, N] = matrixDims('sum_rows', 'x', t.x);
  expectShape('sum_rows', 'out', t.out, [N]);
  // Up to SERIAL_ROWS rows each lane sums its whole column (no tree, which costs more than it saves on
  // short columns); taller inputs split each column over COL_WG_Y lanes.
  const [wx, wy] = B <= SERIAL_ROWS ? [64, 1] : [COL_WG_X, COL_WG_Y];
  const kernel = await rt.kernel('reduce', { entry: 'sum_rows', constants: { WG_X: wx, WG_Y: wy } });
  return rt.prepare(kernel, {
    ...bind({ x: t.x, out: t.out }),
    uniforms: { params: { B, N } },
    workgroups: gridFor(ceilDiv(N, wx)),
    label: `sum_rows ${B}x${N}`,
  });
}

/** Column sums of x [B, N] on the GPU; allocates out [N] unless given. */
export async function sumRows(rt: Runtime, x: Tensor, out?: Tensor): Promise<Tensor> {
  const [, N] = matrixDims('sum_rows', 'x', x);
  const o = out ?? Tensor.zeros(rt, [N], `sum_rows(${x.label})`);
  await runPrepared(rt, out ? [] : [o], [() => prepareSumRows(rt, { x, out: o })]);
  return o;
}
