import type { Runtime } from './runtime.js';
import { ShapeError } from '../core/errors.js';

/** Number of elements of a shape; throws on a dimension that is not a non-negative integer. */
export function numel(shape: readonly number[], what = 'tensor'): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${what}: bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/**
 * A row-major f32 array on the GPU: a shape over a buffer, from `offset` bytes on. A tensor made by `from` or
 * `zeros` owns its buffer; one made by `view` is a window into another's (e.g. one layer's weights inside
 * the parameter arena) and destroying it frees nothing.
 */
export class Tensor {
  readonly size: number;

  constructor(
    readonly runtime: Runtime,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly label: string,
    readonly offset = 0,
    private readonly owned = true,
  ) {
    this.size = numel(shape, label);
    if (buffer.size < offset + this.size * 4) {
      throw new ShapeError(`tensor '${label}': ${buffer.size}-byte buffer cannot hold shape [${shape.join(', ')}] at byte ${offset}`);
    }
  }

  /** A tensor of `shape` over `buffer` from byte `offset` (a multiple of 256 to be bindable); owns nothing. */
  static view(rt: Runtime, buffer: GPUBuffer, shape: readonly number[], offset = 0, label = 'view'): Tensor {
    return new Tensor(rt, buffer, shape, label, offset, false);
  }

  /** The byte range to bind. */
  get ref(): { buffer: GPUBuffer; offset: number; size: number } {
    return { buffer: this.buffer, offset: this.offset, size: Math.max(4, this.size * 4) };
  }

  /** New tensor of `shape` holding `data` (length must match). */
  static from(rt: Runtime, data: ArrayLike<number>, shape: readonly number[], label = 'tensor'): Tensor {
    const n = numel(shape, label);
    if (data.length !== n) {
      throw new ShapeError(`tensor '${label}': ${data.length} values given for shape [${shape.join(', ')}] (${n} values)`);
    }
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor(rt, rt.upload(f32, label), shape, label);
  }

  /** New zero-filled tensor. */
  static zeros(rt: Runtime, shape: readonly number[], label = 'zeros'): Tensor {
    return new Tensor(rt, rt.buffers.create(numel(shape, label) * 4, { label }), shape, label);
  }

  /** Copy the values back to the CPU. */
  async read(): Promise<Float32Array> {
    const data = new Float32Array(await this.runtime.buffers.read(this.buffer, this.size * 4, this.offset));
    this.runtime.checkErrors();
    return data;
  }

  /** Overwrite the values from the CPU (length must match). */
  write(data: Float32Array): void {
    if (data.length !== this.size) {
      throw new ShapeError(`tensor '${this.label}': write of ${data.length} values into ${this.size}`);
    }
    this.runtime.device.queue.writeBuffer(this.buffer, this.offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Free the GPU buffer, if this tensor owns it. */
  destroy(): void {
    if (this.owned) this.runtime.buffers.free(this.buffer);
  }
}
