// Image models on the CPU: shapes inferred at build time, mismatches as GraphErrors naming the layer and the
// shapes, conv parameters in PyTorch's layout with He / Xavier fans of C*KH*KW and OC*KH*KW.
import { describe, expect, it } from 'vitest';
import { GraphError } from '../src/core/errors.js';
import { avgPool2d, conv2d, flatten, globalAvgPool, maxPool2d } from '../src/nn/image-layers.js';
import { batchNorm, dense, residual } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';

const lenet = () =>
  sequential([12, 12, 1], [conv2d(4, 3, { padding: 'same', activation: 'relu' }), maxPool2d(2), conv2d(8, 3, { activation: 'relu' }), flatten(), dense(10)]);

describe('image model shapes', () => {
  it('infers [H, W, C] through conv, pooling and flatten; flatten adds no node', () => {
    const g = lenet().graph;
    expect(g.nodes.map((n) => [n.op.op, n.shape])).toEqual([
      ['input', [12, 12, 1]],
      ['conv2d', [12, 12, 4]],
      ['activation', [12, 12, 4]],
      ['pool2d', [6, 6, 4]],
      ['conv2d', [4, 4, 8]],
      ['activation', [4, 4, 8]],
      ['dense', [10]],
    ]);
    expect(g.inputDim).toBe(144);
    expect(g.nodes.at(-1)!.name).toBe('6'); // the flatten keeps its index, as torch.nn.Flatten does in a Sequential
    const w = g.params.find((p) => p.name === '3.weight')!;
    expect([w.shape, w.fanIn, w.fanOut, w.init]).toEqual([[8, 4, 3, 3], 4 * 9, 8 * 9, 'he']);
    expect(g.params.find((p) => p.name === '6.weight')!.shape).toEqual([10, 128]);
  });

  it('strides, dilation, average and global pooling, batchNorm over channels, residual convolutions', () => {
    const m = sequential(
      [9, 10, 3],
      [
        conv2d(6, [3, 2], { stride: 2, dilation: [1, 2], padding: 1 }),
        batchNorm(),
        residual([conv2d(6, 3, { padding: 'same', activation: 'relu' }), conv2d(6, 1)]),
        avgPool2d(2, { stride: 1, padding: 'same' }),
        globalAvgPool(),
        dense(2),
      ],
    );
    const shapes = m.graph.nodes.map((n) => n.shape);
    // (9 + 2 - 3) / 2 + 1 = 5 rows; (10 + 2 - 3) / 2 + 1 = 5 columns (dilated width 3).
    expect(shapes[1]).toEqual([5, 5, 6]);
    expect(m.graph.params.find((p) => p.name === '1.weight')!.shape).toEqual([6]);
    expect(m.graph.stats.map((s) => [s.name, s.length])).toEqual([
      ['1.running_mean', 6],
      ['1.running_var', 6],
    ]);
    expect(m.graph.nodes.find((n) => n.op.op === 'add')!.shape).toEqual([5, 5, 6]);
    expect(m.graph.nodes.find((n) => n.op.op === 'globalAvgPool')!.shape).toEqual([6]);
    expect(m.summary()).toContain('5x5x6');
  });

  const cases: [string, () => unknown, RegExp][] = [
    ['dense after an image', () => sequential([4, 4, 2], [conv2d(3, 3), dense(2)]), /dense '1' needs a vector input, got an image \[2, 2, 3\]/],
    ['conv on a vector', () => sequential(16, [conv2d(3, 3)]), /conv2d '0' needs an image input \[H, W, C\], got a vector of width 16/],
    ['pool on a flattened image', () => sequential([4, 4, 1], [flatten(), maxPool2d(2)]), /maxPool2d '1' needs an image input.*vector of width 16/],
    ['window larger than the input', () => sequential([4, 4, 1], [conv2d(2, 5)]), /conv2d '0' on an image \[4, 4, 1\].*5x5 window/],
    ['pool window larger than the input', () => sequential([6, 6, 1], [maxPool2d(2), maxPool2d(4)]), /maxPool2d '1' on an image \[3, 3, 1\].*4x4 window/],
    [
      'residual changing the shape',
      () => sequential([5, 5, 2], [residual([conv2d(2, 3)])]),
      /residual '0'.*image \[5, 5, 2\].*image \[3, 3, 2\].*keep the shape/,
    ],
    ['bad input shape', () => sequential([4, 4] as unknown as [number, number, number], [dense(2)]), /input shape must be .*\[4,4\]/],
    ['bad stride', () => sequential([4, 4, 1], [conv2d(2, 3, { stride: 0 })]), /conv2d '0'.*stride/],
    ['bad kernel', () => conv2d(2, 0), /conv2d: kernel must be a positive integer/],
    ['bad filters', () => conv2d(1.5, 3), /conv2d: filters must be a positive integer, got 1.5/],
  ];
  for (const [what, f, message] of cases) {
    it(`${what} is a GraphError naming the layer and the shapes`, () => {
      expect(f).toThrow(GraphError);
      expect(f).toThrow(message);
    });
  }
});
