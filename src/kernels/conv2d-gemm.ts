// conv2d's "gemm" kernels (shaders/conv2d_gemm*.wgsl): each pass an implicit GEMM tiled through workgroup memory
// the way GPU libraries tile a matmul (shaders/include/conv2d_gemm_tile.wgsl), with the im2col operand gathered on
// the fly. They take the other variants' bindings and uniform; this module picks the tile and the grid.
import type { Runtime } from '../gpu/runtime.js';
import { ceilDiv } from './grid.js';

/** The passes' shaders. */
export const GEMM_SHADERS = { forward: 'conv2d_gemm', input: 'conv2d_gemm_grad_input', weight: 'conv2d_gemm_grad_weight' } as const;

/**
 * The workgroup [WG_X, WG_Y] for a product with `columns` columns (the pass's channels): a tile of 4 * WG_X channels,
 * as few as cover them (at least 8, at most 64), by 4 * WG_Y pixels or taps: 64 x 64 (16 x 16 invocations) at 64
 * channels and more, 128 rows for the narrower tiles so a workgroup still has 64 to 256 invocations.
 */
export function gemmWorkgroup(columns: number): [number, number] {
  const wx = Math.min(16, Math.max(2, 2 ** Math.ceil(Math.log2(ceilDiv(columns, 4)))));
  return [wx, wx === 16 ? 16 : 32];
}

/** The kernel and grid of one gemm pass: `rows` of the product (pixels; taps for the weight gradient) by `columns` channels. */
export async function gemmKernel(
  rt: Runtime,
  pass: keyof typeof GEMM_SHADERS,
  rows: number,
  columns: number,
  constants: Record<string, number | boolean> = {},
) {
  const [wx, wy] = gemmWorkgroup(columns);
  const kernel = await rt.kernel(GEMM_SHADERS[pass], { constants: { WG_X: wx, WG_Y: wy, ...constants } });
  return { kernel, grid: [ceilDiv(columns, 4 * wx), ceilDiv(rows, 4 * wy)] as [number, number] };
}
