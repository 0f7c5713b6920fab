// Views of the Convolutions lab: the first layer's filters as diverging colour tiles, and that layer's feature
// maps of one digit, computed on the CPU from read-back weights with the reference convolution (8 maps of
// 28x28: far cheaper than a second network that exposes its intermediate activations).
import { convGeometry } from '../../src/index.js';
import { conv2dForward } from '../../src/reference/conv2d.js';

/** Blue (negative) through white to red (positive), `t` in [-1, 1]. */
function diverging(t: number): [number, number, number] {
  const a = Math.min(1, Math.abs(t));
  return t < 0
    ? [Math.round(255 - 206 * a), Math.round(255 - 168 * a), Math.round(255 - 42 * a)]
    : [Math.round(255 - 41 * a), Math.round(255 - 196 * a), Math.round(255 - 196 * a)];
}

/** Paint `values` (h x w, row-major, from `from`) as a tile at (x0, y0), `scale` pixels per value. */
function paintTile(
  img: ImageData,
  values: ArrayLike<number>,
  from: number,
  stride: number,
  h: number,
  w: number,
  x0: number,
  y0: number,
  scale: number,
  color: (v: number) => [number, number, number],
): void {
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < w * scale; x++) {
      const v = values[from + Math.floor(y / scale) * w * stride + Math.floor(x / scale) * stride]!;
      img.data.set([...color(v), 255], 4 * ((y0 + y) * img.width + x0 + x));
    }
  }
}

/** A canvas of square tiles in one row or a grid, with a white background and gaps between tiles. */
class TileCanvas {
  readonly ctx: CanvasRenderingContext2D;
  draws = 0;

  constructor(
    readonly canvas: HTMLCanvasElement,
    readonly count: number,
    readonly cols: number,
    readonly side: number,
    readonly scale: number,
    readonly gap: number,
  ) {
    const rows = Math.ceil(count / cols);
    // One pixel of frame around the grid: each tile gets a grey outline in the gap.
    canvas.width = cols * side * scale + (cols - 1) * gap + 2;
    canvas.height = rows * side * scale + (rows - 1) * gap + 2;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  }

  /** Paint tile i of every tile with `paint`, then count the draw on the canvas (data-draws) for tests. */
  draw(paint: (img: ImageData, i: number, x0: number, y0: number) => void): void {
    const img = this.ctx.createImageData(this.canvas.width, this.canvas.height);
    img.data.fill(255);
    const size = this.side * this.scale;
    const step = size + this.gap;
    for (let i = 0; i < this.count; i++) {
      const x0 = 1 + (i % this.cols) * step;
      const y0 = 1 + Math.floor(i / this.cols) * step;
      for (let y = y0 - 1; y <= y0 + size; y++) {
        for (let x = x0 - 1; x <= x0 + size; x++) img.data.set([208, 215, 222, 255], 4 * (y * img.width + x));
      }
      paint(img, i, x0, y0);
    }
    this.ctx.putImageData(img, 0, 0);
    this.canvas.dataset.draws = String(++this.draws);
  }
}

/** The filters of a conv layer with one input channel, weights [OC, 1, K, K], each on one shared diverging scale. */
export class FilterView {
  private readonly tiles: TileCanvas;

  constructor(
    canvas: HTMLCanvasElement,
    readonly filters: number,
    readonly kernel: number,
  ) {
    this.tiles = new TileCanvas(canvas, filters, 4, kernel, 14, 10);
  }

  show(weights: Float32Array): void {
    let max = 1e-8;
    for (const v of weights) max = Math.max(max, Math.abs(v));
    const K = this.kernel;
    this.tiles.draw((img, i, x0, y0) => paintTile(img, weights, i * K * K, 1, K, K, x0, y0, this.tiles.scale, (v) => diverging(v / max)));
    this.tiles.canvas.dataset.maxAbs = max.toPrecision(4);
  }
}

/**
 * The first conv layer's output (bias and ReLU included) for one 28x28 digit, one greyscale tile per filter,
 * each scaled to its own maximum so that a filter that responds weakly still shows where.
 */
export class FeatureMapView {
  private readonly tiles: TileCanvas;

  constructor(
    canvas: HTMLCanvasElement,
    readonly filters: number,
    readonly kernel: number,
    cols = 4,
  ) {
    this.tiles = new TileCanvas(canvas, filters, cols, 28, 2, 10);
  }

  show(input: Float32Array, weights: Float32Array, bias: Float32Array): void {
    const g = convGeometry([1, 28, 28, 1], [this.kernel, this.kernel], { padding: 'same' });
    const maps = conv2dForward(input, weights, g, this.filters, { bias, activation: 'relu' });
    const OC = this.filters;
    this.tiles.draw((img, i, x0, y0) => {
      let max = 1e-8;
      for (let p = i; p < maps.length; p += OC) max = Math.max(max, maps[p]!);
      paintTile(img, maps, i, OC, 28, 28, x0, y0, this.tiles.scale, (v) => {
        const c = Math.round(255 * (1 - v / max));
        return [c, c, c];
      });
    });
  }
}
