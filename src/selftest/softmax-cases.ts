// Row softmax forward and backward against the float64 reference, on shapes chosen to break the kernel: 1x1, a
// single wide row, odd, many narrow rows, rows wider than a workgroup, causal with T = 13 (not dividing a workgroup
// of rows) and 64 (dividing it), T other than N, logits of +-80 and 1e4 offsets. Every case runs both layouts. The
// outputs start as NaN, so an entry left unwritten fails; the backward's y holds 7 at masked entries, so a backward
// that reads past the mask fails too.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { runPrepared } from '../kernels/common.js';
import { prepareSoftmaxBackward, prepareSoftmaxForward, type SoftmaxLayout, type SoftmaxOptions } from '../kernels/softmax.js';
import { softmaxBackward, softmaxForward, softmaxMask, softmaxVisible } from '../reference/softmax.js';
import { reductionTolerance } from '../util/allclose.js';
import type { Rng } from '../util/rng.js';
import { kcase, type KernelCase } from './harness.js';

/** One break-it shape: rows, columns, mask and scale, and the logits' range and offset. */
export interface SoftmaxCaseShape {
  R: number;
  N: number;
  options?: Omit<SoftmaxOptions, 'layout'>;
  /** Logits uniform in [-range, range] (default 4) plus offset (default 0). */
  range?: number;
  offset?: number;
}

/** The break-it shapes. */
export const SOFTMAX_SHAPES: readonly SoftmaxCaseShape[] = [
  { R: 1, N: 1 },
  { R: 1, N: 37 },
  { R: 37, N: 13, options: { scale: 0.3 } },
  { R: 300, N: 7 },
  { R: 5, N: 300 },
  { R: 39, N: 13, options: { causal: true, scale: 0.25 } },
  { R: 128, N: 64, options: { causal: true } },
  { R: 15, N: 8, options: { causal: true, T: 5 } },
  { R: 37, N: 13, range: 80 },
  { R: 26, N: 13, options: { causal: true }, range: 80 },
  { R: 9, N: 130, offset: 1e4 },
  { R: 37, N: 13, offset: 1e4 },
];

const LAYOUTS: readonly SoftmaxLayout[] = ['invocation', 'workgroup'];

/** The case's shape tag, e.g. '39x13 causal T=13 scale 0.25 invocation'. */
export function softmaxTag(s: SoftmaxCaseShape, layout: SoftmaxLayout): string {
  const o = s.options ?? {};
  const parts = [
    `${s.R}x${s.N}`,
    o.causal ? `causal T=${o.T ?? s.N}` : '',
    o.scale !== undefined ? `scale ${o.scale}` : '',
    s.range ? `logits +-${s.range}` : '',
    s.offset ? `offset ${s.offset}` : '',
    layout,
  ];
  return parts.filter(Boolean).join(' ');
}

const nanTensor = (rt: Runtime, R: number, N: number, label: string) => Tensor.from(rt, new Float32Array(R * N).fill(NaN), [R, N], label);

/** The logits of a shape. */
const logits = (rng: Rng, s: SoftmaxCaseShape) => rng.floats(s.R * s.N, -(s.range ?? 4), s.range ?? 4).map((v) => v + (s.offset ?? 0));

/** Forward and backward of every shape in both layouts. */
export function softmaxCases(shapes: readonly SoftmaxCaseShape[] = SOFTMAX_SHAPES): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 9800;
  for (const s of shapes) {
    const { R, N } = s;
    const mask = s.options ?? {};
    // Sums of N terms; an output near 1 carries the rtol.
    const tol = reductionTolerance(N);
    for (const layout of LAYOUTS) {
      const options = { ...mask, layout };
      const tag = softmaxTag(s, layout);
      cases.push(
        kcase('softmax', tag, ++seed, async (rt, rng, check) => {
          const x = logits(rng, s);
          const want = softmaxForward(x, R, N, mask);
          const [X, Y] = [Tensor.from(rt, x, [R, N], 'x'), nanTensor(rt, R, N, 'y')];
          return check([X], async () => {
            await runPrepared(rt, [], [() => prepareSoftmaxForward(rt, { x: X, y: Y }, options)]);
            return [['y', Y, want, tol]];
          });
        }),
      );
      cases.push(
        kcase('softmax_backward', tag, ++seed, async (rt, rng, check) => {
          const { T } = softmaxMask('softmax case', R, N, mask);
          const y = Float32Array.from(softmaxForward(logits(rng, s), R, N, mask));
          for (let r = 0; r < R; r++) for (let j = softmaxVisible(r, N, T); j < N; j++) y[r * N + j] = 7;
          const dy = rng.floats(R * N);
          const want = softmaxBackward(y, dy, R, N, mask);
          const [Y, DY, DX] = [Tensor.from(rt, y, [R, N], 'y'), Tensor.from(rt, dy, [R, N], 'dy'), nanTensor(rt, R, N, 'dx')];
          return check([Y, DY], async () => {
            await runPrepared(rt, [], [() => prepareSoftmaxBackward(rt, { y: Y, dy: DY, dx: DX }, options)]);
            return [['dx', DX, want, tol]];
          });
        }),
      );
    }
  }
  return cases;
}
