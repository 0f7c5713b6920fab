// The metrics ring: each step's telemetry lands in its own slot of a GPU buffer; every K steps the last K
// slots are copied to a staging buffer and mapped without waiting. A fixed pool of staging buffers caps
// the reads in flight, and with them how far the CPU can run ahead of the GPU.
import type { Runtime } from '../gpu/runtime.js';

export type MetricsListener = (firstStep: number, slots: Float32Array, count: number) => void;

export class MetricsRing {
  readonly buffer: GPUBuffer;
  /** Slots in the ring: a multiple of `every`, so a block of K slots never wraps. */
  readonly slots: number;
  private readonly free: GPUBuffer[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly all: GPUBuffer[] = [];
  private blockStart = 0;
  private listener: MetricsListener = () => {};

  constructor(
    private readonly rt: Runtime,
    /** Floats per slot. */
    readonly stride: number,
    /** Steps per read-back (K). */
    readonly every: number,
    maxPending: number,
  ) {
    this.slots = every * (maxPending + 1);
    this.buffer = rt.buffers.create(this.slots * stride * 4, { label: 'metrics-ring' });
    for (let i = 0; i < maxPending; i++) {
      const b = rt.buffers.create(every * stride * 4, {
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: `metrics-staging${i}`,
      });
      this.free.push(b);
      this.all.push(b);
    }
  }

  onMetrics(listener: MetricsListener): void {
    this.listener = listener;
  }

  slotOf(step: number): number {
    return step % this.slots;
  }

  /** Before encoding step `step`: wait for a staging buffer if this step ends a block and none is free. */
  async reserve(step: number): Promise<void> {
    if (this.endsBlock(step)) while (this.free.length === 0) await this.pending[0];
  }

  private endsBlock(step: number): boolean {
    return (step + 1) % this.every === 0;
  }

  /** After encoding step `step`: copy the finished block to staging; returns a callback to run after submit. */
  encodeRead(encoder: GPUCommandEncoder, step: number, force = false): (() => void) | null {
    if (!this.endsBlock(step) && !force) return null;
    const first = this.blockStart;
    const count = step + 1 - first;
    this.blockStart = step + 1;
    if (count <= 0) return null;
    const staging = this.free.shift();
    if (!staging) throw new Error('metrics ring: no free staging buffer (reserve() was not awaited)');
    const firstSlot = this.slotOf(first);
    encoder.copyBufferToBuffer(this.buffer, firstSlot * this.stride * 4, staging, 0, count * this.stride * 4);
    return () => {
      const p = staging.mapAsync(GPUMapMode.READ, 0, count * this.stride * 4).then(
        () => {
          const data = new Float32Array(staging.getMappedRange(0, count * this.stride * 4).slice(0));
          staging.unmap();
          this.free.push(staging);
          this.pending.splice(this.pending.indexOf(p), 1);
          this.listener(first, data, count);
        },
        () => {
          // The device was lost or destroyed: nothing more will be read.
          this.pending.splice(this.pending.indexOf(p), 1);
        },
      );
      this.pending.push(p);
    };
  }

  /** Copy any steps since the last block, then wait until every read has been delivered. */
  async flush(lastStep: number): Promise<void> {
    if (lastStep + 1 > this.blockStart) {
      while (this.free.length === 0) await this.pending[0];
      const enc = this.rt.device.createCommandEncoder({ label: 'metrics-flush' });
      const after = this.encodeRead(enc, lastStep, true);
      this.rt.device.queue.submit([enc.finish()]);
      after?.();
    }
    while (this.pending.length) await this.pending[0];
  }

  /** Forget block boundaries (e.g. after a reset of the step counter). */
  restart(step: number): void {
    this.blockStart = step;
  }

  destroy(): void {
    for (const b of [this.buffer, ...this.all]) this.rt.buffers.free(b);
  }
}
