import type { Runtime } from './runtime.js';
import { ShapeError } from './errors.js';

/** Number of elements of a shape; throws on a dimension that is not a non-negative integer. */
export function numel(shape: readonly number[], what = 'tensor'): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${what}: bad dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** A row-major f32 array on the GPU: a buffer and a shape. */
export class Tensor {
  readonly size: number;

  constructor(
    readonly runtime: Runtime,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly label: string,
  ) {
    this.size = numel(shape, label);
    if (buffer.size < this.size * 4) {
      throw new ShapeError(`tensor '${label}': buffer of ${buffer.size} bytes cannot hold shape [${shape.join(', ')}]`);
    }
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
  read(): Promise<Float32Array> {
    return this.runtime.readF32(this.buffer, this.size);
  }

  /** Overwrite the values from the CPU (length must match). */
  write(data: Float32Array): void {
    if (data.length !== this.size) {
      throw new ShapeError(`tensor '${this.label}': write of ${data.length} values into ${this.size}`);
    }
    this.runtime.device.queue.writeBuffer(this.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Free the GPU buffer. */
  destroy(): void {
    this.runtime.buffers.free(this.buffer);
  }
}
