// conv2d forward, input gradient and weight / bias gradients against the float64 reference, on shapes chosen to
// break the gather: odd sizes, stride 2 'same' on odd sizes, 1x1 filters and images, rectangular kernels, channels
// that are not multiples of 4, batch 1, dilation 2, several weight-gradient splits, and one LeNet-sized layer.
import type { Activation } from '../core/activations.js';
import { Tensor } from '../gpu/tensor.js';
import type { Runtime } from '../gpu/runtime.js';
import { runPrepared } from '../kernels/common.js';
import { windowApplies } from '../kernels/conv2d-window.js';
import { CONV_SHADERS, conv2d, conv2dBackward, conv2dBackwardScratch, prepareConv2dBackward, type ConvPass, type ConvVariant } from '../kernels/conv2d.js';
import { convGeometry, type ConvGeometryOptions } from '../reference/conv-geometry.js';
import { conv2dBackward as refBackward, conv2dForward as refForward } from '../reference/conv2d.js';
import { reductionTolerance } from '../util/allclose.js';
import type { Rng } from '../util/rng.js';
import { arena, kcase, type KernelCase } from './harness.js';

export interface ConvShape {
  /** The case's shape tag. */
  tag: string;
  input: [number, number, number, number];
  kernel: [number, number];
  OC: number;
  options: ConvGeometryOptions;
  activation?: Activation;
  /** Output pixels per partial sum of dw (forces several splits on small shapes). */
  weightChunk?: number;
}

/** The break-it shapes; each runs forward (bias + activation when given), dx, and dw + db. */
export const CONV_SHAPES: readonly ConvShape[] = [
  { tag: 'odd 2x7x5x3 k3x3 pad1 oc5', input: [2, 7, 5, 3], kernel: [3, 3], OC: 5, options: { padding: 1 }, activation: 'relu' },
  { tag: 'stride2 same odd 1x9x7x2 k3x3 oc4', input: [1, 9, 7, 2], kernel: [3, 3], OC: 4, options: { stride: 2, padding: 'same' }, activation: 'tanh' },
  { tag: '1x1 filter 2x5x6x7 oc9', input: [2, 5, 6, 7], kernel: [1, 1], OC: 9, options: {} },
  { tag: '1x1 image 3x1x1x5 k1x1 oc6', input: [3, 1, 1, 5], kernel: [1, 1], OC: 6, options: {}, activation: 'sigmoid' },
  { tag: '1x1 image same 2x1x1x3 k3x3 oc2', input: [2, 1, 1, 3], kernel: [3, 3], OC: 2, options: { padding: 'same' } },
  {
    tag: 'rect k2x5 stride1x2 pad1,0,2,1 1x6x8x3 oc3',
    input: [1, 6, 8, 3],
    kernel: [2, 5],
    OC: 3,
    options: { stride: [1, 2], padding: [1, 0, 2, 1] },
    activation: 'leaky_relu',
  },
  { tag: 'dilation2 2x9x8x3 k3x3 pad2 oc5', input: [2, 9, 8, 3], kernel: [3, 3], OC: 5, options: { dilation: 2, padding: 2 }, activation: 'gelu' },
  { tag: 'dilation2 stride2 same 1x8x7x5 k3x2 oc7', input: [1, 8, 7, 5], kernel: [3, 2], OC: 7, options: { dilation: 2, stride: 2, padding: 'same' } },
  // A stride above 2 is read from the uniform where 1 and 2 are compiled in.
  { tag: 'stride3x1 pad1 2x10x5x2 k3x2 oc3', input: [2, 10, 5, 2], kernel: [3, 2], OC: 3, options: { stride: [3, 1], padding: 1 } },
  { tag: 'dw in 7 splits 2x5x5x3 k3x3 same oc4 chunk7', input: [2, 5, 5, 3], kernel: [3, 3], OC: 4, options: { padding: 'same' }, weightChunk: 7 },
  // Several column blocks (the last ragged) and several workgroups of rows in every variant's tiling.
  { tag: 'many blocks 3x13x15x5 k3x3 same oc21', input: [3, 13, 15, 5], kernel: [3, 3], OC: 21, options: { padding: 'same' }, activation: 'relu' },
  { tag: 'lenet c1 4x28x28x1 k5x5 same oc6', input: [4, 28, 28, 1], kernel: [5, 5], OC: 6, options: { padding: 'same' }, activation: 'relu' },
  { tag: 'lenet c3 16x14x14x6 k5x5 valid oc16', input: [16, 14, 14, 6], kernel: [5, 5], OC: 16, options: {}, activation: 'relu' },
];

/**
 * Every conv2d kernel of a variant on every break-it shape, each case named after its shader; a variant's passes
 * that run another variant's shader (the window variant's weight gradient, and its passes on shapes the window
 * kernel does not fit) are left to that variant's cases.
 */
export function convCases(shapes: readonly ConvShape[] = CONV_SHAPES, variant: ConvVariant = 'gather'): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 9000;
  for (const s of shapes) {
    const g = convGeometry(s.input, s.kernel, s.options);
    const { OC } = s;
    // Cases are made before any runtime: they assume lavapipe's 8-lane subgroups (the fallback's are the others').
    const fits = (pass: ConvPass) => variant !== 'window' || (pass !== 'weight' && windowApplies(pass, g, OC, 8));
    const own = (pass: ConvPass) => variant === 'gather' || (CONV_SHADERS[variant][pass] !== CONV_SHADERS.gather[pass] && fits(pass));
    const push = (pass: ConvPass, c: KernelCase) => own(pass) && cases.push(c);
    const [xn, wn, yn] = [g.N * g.H * g.W * g.C, OC * g.C * g.KH * g.KW, g.N * g.OH * g.OW * OC];
    const P = g.N * g.OH * g.OW;
    push(
      'forward',
      kcase(CONV_SHADERS[variant].forward, s.tag, ++seed, async (rt, rng, check) => {
        const [x, w, b] = [rng.floats(xn), rng.floats(wn), rng.floats(OC)];
        const want = refForward(x, w, g, OC, { bias: b, activation: s.activation, slope: 0.1 });
        // w and bias as views into one buffer at 256-byte offsets, the way the parameter arena holds them.
        const params = arena(rt, [
          { data: w, shape: [OC, g.C, g.KH, g.KW] },
          { data: b, shape: [OC] },
        ]);
        const [W, B] = params.views as [Tensor, Tensor];
        const X = Tensor.from(rt, x, s.input, 'x');
        const tol = reductionTolerance(g.KH * g.KW * g.C);
        return check([X, params.owner], async () => [
          ['y', await conv2d(rt, X, W, { ...s.options, bias: B, activation: s.activation, slope: 0.1, variant }), want, tol],
        ]);
      }),
    );
    // x, w and dy on the GPU and the reference gradients, for both backward cases.
    const backwardInputs = (rt: Runtime, rng: Rng) => {
      const [x, w, dy] = [rng.floats(xn), rng.floats(wn), rng.floats(yn)];
      const want = refBackward(x, w, dy, g, OC);
      const t = {
        x: Tensor.from(rt, x, s.input, 'x'),
        w: Tensor.from(rt, w, [OC, g.C, g.KH, g.KW], 'w'),
        dy: Tensor.from(rt, dy, [g.N, g.OH, g.OW, OC], 'dy'),
      };
      return { want, t, inputs: [t.x, t.w, t.dy] };
    };
    const options = { ...s.options, weightChunk: s.weightChunk, variant };
    push(
      'input',
      kcase(CONV_SHADERS[variant].input, s.tag, ++seed, async (rt, rng, check) => {
        const { want, t, inputs } = backwardInputs(rt, rng);
        return check(inputs, async () => {
          const o = await conv2dBackward(rt, t, options);
          o.dw.destroy();
          o.db.destroy();
          return [['dx', o.dx, want.dx, reductionTolerance(g.KH * g.KW * OC)]];
        });
      }),
    );
    push(
      'weight',
      // The prepared form with dx not asked for, and dw, db as views at offsets into one buffer (the gradient arena).
      kcase(CONV_SHADERS[variant].weight, s.tag, ++seed, async (rt, rng, check) => {
        const { want, t, inputs } = backwardInputs(rt, rng);
        const grads = arena(rt, [
          { data: new Float32Array(wn), shape: [OC, g.C, g.KH, g.KW] },
          { data: new Float32Array(OC), shape: [OC] },
        ]);
        const [dw, db] = grads.views as [Tensor, Tensor];
        const scratch = conv2dBackwardScratch(t.x, t.w, options);
        const dwPartial = scratch ? Tensor.zeros(rt, scratch, 'dw partial sums') : undefined;
        const made = dwPartial ? [grads.owner, dwPartial] : [grads.owner];
        return check([...inputs, ...made], async () => {
          await runPrepared(rt, [], [() => prepareConv2dBackward(rt, { ...t, dw, db, dwPartial }, options)]);
          return [
            ['dw', dw, want.dw, reductionTolerance(P)],
            ['db', db, want.db, reductionTolerance(P)],
          ];
        });
      }),
    );
  }
  return cases;
}
