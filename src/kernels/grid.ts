import { ShapeError } from '../core/errors.js';

/**
 * Workgroup counts covering `groups` workgroups of a 1-D problem on a 2-D grid, so more than
 * `maxPerDim` (65535 by default) fit; the shader side is flat_index() in shaders/include/grid.wgsl.
 */
export function gridFor(groups: number, maxPerDim = 65535): [number, number] {
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  if (y > maxPerDim) throw new ShapeError(`${groups} workgroups exceed a ${maxPerDim} x ${maxPerDim} grid`);
  return [Math.ceil(groups / y), y];
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
