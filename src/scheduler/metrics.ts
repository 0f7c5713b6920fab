// The metrics ring: each step's telemetry lands in its own slot of a GPU buffer; every K steps the last K
// slots are copied to a staging buffer and mapped without waiting. A fixed pool of staging buffers caps
// the reads in flight, and with them how far the CPU can run ahead of the GPU.
//
// Every wait here also ends when the device is lost or the ring destroyed: a read that fails puts its staging
// buffer back and leaves a sticky DeviceError that the next reserve or flush throws, so no loop can find
// nothing free and nothing pending.
import { DeviceError } from '../core/errors.js';
import type { Runtime } from '../gpu/runtime.js';

/**
 * A block of `count` steps: `slots` holds their slots of the first section, `extra` those of the second (activation
 * telemetry; empty when the ring has none), each `extraStride` floats.
 */
export type MetricsListener = (firstStep: number, slots: Float32Array, count: number, extra: Float32Array) => void;

export class MetricsRing {
  readonly buffer: GPUBuffer;
  /** Slots in the ring: a multiple of `every`, so a block of K slots never wraps. */
  readonly slots: number;
  private readonly free: GPUBuffer[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly all: GPUBuffer[] = [];
  private blockStart = 0;
  private listener: MetricsListener = () => {};
  /** Why no more metrics will come (a failed read, or the ring destroyed); thrown by every later wait. */
  private failure: DeviceError | null = null;
  private readonly waiters = new Set<() => void>();
  /** What a metrics listener threw (e.g. a caller's onStep): thrown once, by the next wait. */
  private listenerError: { error: unknown } | null = null;

  constructor(
    private readonly rt: Runtime,
    /** Floats per slot. */
    readonly stride: number,
    /** Steps per read-back (K). */
    readonly every: number,
    maxPending: number,
    /**
     * Floats per slot of a second section laid after all the first section's slots (at float `extraBase`), read
     * back with them: a section of its own, so the first keeps the layout its kernels index by.
     */
    readonly extraStride = 0,
  ) {
    this.slots = every * (maxPending + 1);
    this.buffer = rt.buffers.create(this.slots * (stride + extraStride) * 4, { label: 'metrics-ring' });
    for (let i = 0; i < maxPending; i++) {
      const b = rt.buffers.create(every * (stride + extraStride) * 4, {
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: `metrics-staging${i}`,
      });
      this.free.push(b);
      this.all.push(b);
    }
    // Weakly held: a runtime outlives many networks, and its pending whenLost must not keep their rings alive.
    const self = new WeakRef(this);
    void rt.whenLost.then(() => self.deref()?.wakeAll());
  }

  onMetrics(listener: MetricsListener): void {
    this.listener = listener;
  }

  /** Float index of the second section's slot 0. */
  get extraBase(): number {
    return this.slots * this.stride;
  }

  slotOf(step: number): number {
    return step % this.slots;
  }

  /** Before encoding step `step`: wait for a staging buffer if this step ends a block and none is free. */
  async reserve(step: number): Promise<void> {
    this.check();
    if (this.endsBlock(step)) await this.waitForFree();
  }

  /**
   * Throw the DeviceError that stops every read, if there is one (a failed read, lost device, destroyed ring),
   * or what a listener threw since the last check.
   */
  check(): void {
    // A lost device explains a failed read better than the read's own message does.
    this.rt.checkAlive();
    if (this.failure) throw this.failure;
    const thrown = this.listenerError;
    if (thrown) {
      this.listenerError = null;
      throw thrown.error;
    }
  }

  private async waitForFree(): Promise<void> {
    for (;;) {
      this.check();
      if (this.free.length > 0) return;
      const next = this.pending[0];
      if (!next) throw new DeviceError('metrics ring: no staging buffer is free and no read is in flight');
      await this.settled(next);
    }
  }

  /**
   * Wait for a read, or for the device to be lost or the ring destroyed, whichever comes first. (Not a
   * Promise.race with whenLost: each race would leave a reaction on that long-lived promise, one per wait.)
   */
  private settled(read: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      read.then(done, done);
    });
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
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
    const extraBytes = count * this.extraStride * 4;
    if (extraBytes > 0) {
      const from = (this.extraBase + firstSlot * this.extraStride) * 4;
      encoder.copyBufferToBuffer(this.buffer, from, staging, count * this.stride * 4, extraBytes);
    }
    return () => {
      const mainBytes = count * this.stride * 4;
      const bytes = mainBytes + extraBytes;
      const failed = (e: unknown): void => {
        // The buffer goes back so the pool never shrinks; the failure makes every later wait throw instead.
        this.free.push(staging);
        this.pending.splice(this.pending.indexOf(p), 1);
        const why = (e as Error)?.message || String(e);
        this.failure ??= new DeviceError(`reading the metrics of steps ${first}..${first + count - 1} failed: ${why}`);
      };
      // Never rejects: nothing may be left unhandled when no step happens to be waiting on this read.
      const p: Promise<void> = staging.mapAsync(GPUMapMode.READ, 0, bytes).then(() => {
        let data: Float32Array;
        try {
          // The ring may have been destroyed (e.g. by an earlier block's listener) since the map resolved.
          data = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
          staging.unmap();
        } catch (e) {
          failed(e);
          return;
        }
        this.free.push(staging);
        this.pending.splice(this.pending.indexOf(p), 1);
        try {
          this.listener(first, data.subarray(0, mainBytes / 4), count, data.subarray(mainBytes / 4));
        } catch (e) {
          this.listenerError ??= { error: e };
        }
      }, failed);
      this.pending.push(p);
    };
  }

  /** Copy any steps since the last block, then wait until every read has been delivered. */
  async flush(lastStep: number): Promise<void> {
    this.check();
    if (lastStep + 1 > this.blockStart) {
      await this.waitForFree();
      const enc = this.rt.device.createCommandEncoder({ label: 'metrics-flush' });
      const after = this.encodeRead(enc, lastStep, true);
      this.rt.device.queue.submit([enc.finish()]);
      after?.();
    }
    while (this.pending.length) {
      this.check();
      await this.settled(this.pending[0]!);
    }
    this.check();
  }

  /** Forget block boundaries (e.g. after a reset of the step counter). */
  restart(step: number): void {
    this.blockStart = step;
  }

  /** Free the ring; `reason` is what every wait still in progress, and every later one, throws. */
  destroy(reason = new DeviceError('metrics ring: destroyed')): void {
    this.failure ??= reason;
    for (const b of [this.buffer, ...this.all]) this.rt.buffers.free(b);
    this.wakeAll();
  }
}
