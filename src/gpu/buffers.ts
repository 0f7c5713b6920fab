import { BufferSizeError, DeviceError } from '../core/errors.js';

/** The typed arrays a buffer can be written from and read into. */
export type TypedData = Float32Array | Uint32Array | Int32Array;

/** A buffer, or a byte range of one, to bind to a shader. */
export type BufferRef = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

export function resolveRef(ref: BufferRef): { buffer: GPUBuffer; offset: number; size: number } {
  if ('buffer' in ref) {
    const offset = ref.offset ?? 0;
    return { buffer: ref.buffer, offset, size: ref.size ?? ref.buffer.size - offset };
  }
  return { buffer: ref, offset: 0, size: ref.size };
}

// GPUBufferUsage is a browser global, installed from Dawn in Node once a device exists, so read it lazily.
const storageUsage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Creates, uploads and reads back buffers, keeping a count of live buffers and bytes to expose leaks. */
export class BufferPool {
  private readonly live = new Map<GPUBuffer, number>();
  private bytes = 0;
  private peak = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  /** A new zero-filled buffer; default usage is storage + copy source + copy destination. */
  create(byteLength: number, options: { usage?: GPUBufferUsageFlags; label?: string } = {}): GPUBuffer {
    const label = options.label ?? 'buffer';
    if (!Number.isInteger(byteLength) || byteLength < 0) {
      throw new BufferSizeError(`buffer '${label}': size must be a non-negative integer of bytes, got ${byteLength}`);
    }
    if (byteLength > this.maxBufferSize) {
      throw new BufferSizeError(`buffer '${label}': ${byteLength} bytes exceeds this device's maxBufferSize of ${this.maxBufferSize} bytes`);
    }
    // Zero-size buffers are legal but cannot be bound; round up to one element.
    const size = Math.max(4, Math.ceil(byteLength / 4) * 4);
    const buffer = this.device.createBuffer({ size, usage: options.usage ?? storageUsage(), label });
    this.live.set(buffer, size);
    this.bytes += size;
    this.peak = Math.max(this.peak, this.bytes);
    return buffer;
  }

  /** A new storage buffer holding `data`. */
  upload(data: TypedData, label = 'upload'): GPUBuffer {
    const buffer = this.create(data.byteLength, { label });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** Copy `byteLength` bytes (default: the whole buffer) into a staging buffer and map it; never blocks the queue. */
  async read(buffer: GPUBuffer, byteLength = buffer.size, offset = 0): Promise<ArrayBuffer> {
    if (offset + byteLength > buffer.size) {
      throw new BufferSizeError(`read of ${byteLength} bytes at offset ${offset} from '${buffer.label}' of ${buffer.size} bytes`);
    }
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({
      size: Math.max(4, size),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: `${buffer.label}:readback`,
    });
    try {
      const enc = this.device.createCommandEncoder({ label: 'readback' });
      enc.copyBufferToBuffer(buffer, offset, staging, 0, size);
      this.device.queue.submit([enc.finish()]);
      try {
        await staging.mapAsync(GPUMapMode.READ);
      } catch (e) {
        throw new DeviceError(`reading back '${buffer.label}' failed: ${(e as Error).message}`);
      }
      return staging.getMappedRange(0, size).slice(0, byteLength);
    } finally {
      staging.destroy();
    }
  }

  /** Destroy a buffer made by this pool. */
  free(buffer: GPUBuffer): void {
    const size = this.live.get(buffer);
    if (size === undefined) return;
    this.live.delete(buffer);
    this.bytes -= size;
    buffer.destroy();
  }

  /** Live buffers and their total bytes. */
  stats(): { buffers: number; bytes: number } {
    return { buffers: this.live.size, bytes: this.bytes };
  }

  /** The most bytes live at once since creation (or the last resetPeak). */
  get peakBytes(): number {
    return this.peak;
  }

  resetPeak(): void {
    this.peak = this.bytes;
  }

  /** Destroy every live buffer. */
  freeAll(): void {
    for (const b of this.live.keys()) b.destroy();
    this.live.clear();
    this.bytes = 0;
  }
}
