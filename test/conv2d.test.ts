import { describe, expect, it } from 'vitest';
import { OptionError, ShapeError, Tensor, conv2d, conv2dBackward, prepareConv2dBackward } from '../src/index.js';
import { convCases } from '../src/selftest/conv-cases.js';
import { gpu, itRunsCases } from './helpers/gpu.js';

describe('conv2d forward, dx, dw and db against the float64 reference', () => itRunsCases(convCases()));

describe('conv2d bad input', () => {
  it('is a typed error naming what was wrong, and allocates nothing', async () => {
    const rt = await gpu();
    const x = Tensor.zeros(rt, [2, 5, 5, 3], 'x');
    const w = Tensor.zeros(rt, [4, 3, 3, 3], 'w');
    const dy = Tensor.zeros(rt, [2, 3, 3, 4], 'dy');
    const before = rt.buffers.stats();
    const bad: [() => Promise<unknown>, typeof ShapeError | typeof OptionError, RegExp][] = [
      [() => conv2d(rt, x, Tensor.view(rt, w.buffer, [4, 2, 3, 3], 0)), ShapeError, /'w' \[4, 2, 3, 3\] must be \[OC >= 1, C = 3/],
      [() => conv2d(rt, Tensor.view(rt, x.buffer, [50, 3], 0), w), ShapeError, /'x' must be NHWC/],
      [() => conv2d(rt, x, w, { bias: Tensor.view(rt, w.buffer, [3], 0) }), ShapeError, /'bias' must have shape \[4\]/],
      [() => conv2d(rt, x, w, { stride: 0 }), OptionError, /stride.*got 0/],
      [() => conv2d(rt, x, w, { activation: 'swish' as never }), OptionError, /unknown activation 'swish'/],
      [() => conv2d(rt, x, w, { dilation: 3 }), ShapeError, /larger than the padded input/],
      [() => conv2dBackward(rt, { x, w, dy: Tensor.view(rt, dy.buffer, [2, 3, 3, 3], 0) }), ShapeError, /'dy' must have shape \[2, 3, 3, 4\]/],
      [() => conv2dBackward(rt, { x, w, dy }, { weightChunk: 0 }), OptionError, /weightChunk/],
      [() => prepareConv2dBackward(rt, { x, w, dy, dw: w }, { weightChunk: 5 }), ShapeError, /needs a 'dwPartial' scratch of shape \[4, 108\]/],
    ];
    for (const [f, type, message] of bad) {
      const err = await f().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(type);
      expect(String(err)).toMatch(message);
    }
    expect(rt.buffers.stats()).toEqual(before);
    for (const t of [x, w, dy]) t.destroy();
  });
});
