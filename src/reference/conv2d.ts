// CPU reference for shaders/conv2d*.wgsl, written from the definition of a strided, padded, dilated 2-D
// cross-correlation (what PyTorch's Conv2d computes), plain loops accumulating in float64. x and y are NHWC,
// w is [OC, C, KH, KW], bias [OC]. Input pixel of output (oy, ox) and tap (ky, kx):
//   iy = oy * strideH - padTop + ky * dilationH,   ix = ox * strideW - padLeft + kx * dilationW,
// and taps outside the image read zero.
import type { Activation } from '../core/activations.js';
import type { Conv2dGeometry } from './conv-geometry.js';
import { activate } from './activation.js';

/** Options of the reference convolution, as the kernel's. */
export interface RefConv2dOptions {
  bias?: ArrayLike<number>;
  activation?: Activation;
  slope?: number;
}

/** Calls f(n, oy, ox, ky, kx, iy, ix) for every output pixel and tap that lands inside the image. */
function forEachTap(g: Conv2dGeometry, f: (n: number, oy: number, ox: number, ky: number, kx: number, iy: number, ix: number) => void) {
  for (let n = 0; n < g.N; n++) {
    for (let oy = 0; oy < g.OH; oy++) {
      for (let ox = 0; ox < g.OW; ox++) {
        for (let ky = 0; ky < g.KH; ky++) {
          const iy = oy * g.strideH - g.padTop + ky * g.dilationH;
          if (iy < 0 || iy >= g.H) continue;
          for (let kx = 0; kx < g.KW; kx++) {
            const ix = ox * g.strideW - g.padLeft + kx * g.dilationW;
            if (ix < 0 || ix >= g.W) continue;
            f(n, oy, ox, ky, kx, iy, ix);
          }
        }
      }
    }
  }
}

/** y[n, oy, ox, oc] = act(bias[oc] + sum_{ky, kx, c} x[n, iy, ix, c] * w[oc, c, ky, kx]); y is NHWC [N, OH, OW, OC]. */
export function conv2dForward(x: ArrayLike<number>, w: ArrayLike<number>, g: Conv2dGeometry, OC: number, o: RefConv2dOptions = {}): Float64Array {
  const { C, KH, KW } = g;
  const y = new Float64Array(g.N * g.OH * g.OW * OC);
  forEachTap(g, (n, oy, ox, ky, kx, iy, ix) => {
    const yAt = ((n * g.OH + oy) * g.OW + ox) * OC;
    const xAt = ((n * g.H + iy) * g.W + ix) * C;
    for (let oc = 0; oc < OC; oc++) {
      let acc = 0;
      for (let c = 0; c < C; c++) acc += x[xAt + c]! * w[((oc * C + c) * KH + ky) * KW + kx]!;
      y[yAt + oc] += acc;
    }
  });
  for (let i = 0; i < y.length; i++) {
    const v = y[i]! + (o.bias ? o.bias[i % OC]! : 0);
    y[i] = activate(o.activation ?? 'identity', v, o.slope);
  }
  return y;
}

/**
 * Gradients of the pre-activation output z = conv(x, w) + bias given dz [N, OH, OW, OC]:
 * dx[n, iy, ix, c] = sum over the (oy, ox, ky, kx, oc) whose tap reads (iy, ix) of dz * w[oc, c, ky, kx],
 * dw[oc, c, ky, kx] = sum_{n, oy, ox} dz[n, oy, ox, oc] * x[n, iy, ix, c], db[oc] = sum_{n, oy, ox} dz[n, oy, ox, oc].
 */
export function conv2dBackward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dz: ArrayLike<number>,
  g: Conv2dGeometry,
  OC: number,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const { C, KH, KW } = g;
  const dx = new Float64Array(g.N * g.H * g.W * C);
  const dw = new Float64Array(OC * C * KH * KW);
  const db = new Float64Array(OC);
  for (let i = 0; i < dz.length; i++) db[i % OC] += dz[i]!;
  forEachTap(g, (n, oy, ox, ky, kx, iy, ix) => {
    const dzAt = ((n * g.OH + oy) * g.OW + ox) * OC;
    const xAt = ((n * g.H + iy) * g.W + ix) * C;
    for (let oc = 0; oc < OC; oc++) {
      const d = dz[dzAt + oc]!;
      for (let c = 0; c < C; c++) {
        const wAt = ((oc * C + c) * KH + ky) * KW + kx;
        dx[xAt + c] += d * w[wAt]!;
        dw[wAt] += d * x[xAt + c]!;
      }
    }
  });
  return { dx, dw, db };
}
