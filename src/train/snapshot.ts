// CPU snapshots of a network's trainable state for recovery after a lost device: the arenas (parameters,
// running statistics, optimizer slots) are copied into one staging buffer with copyBufferToBuffer and mapped
// without waiting, so the steps after it never wait; a snapshot counts only once its map has resolved.
import { OptionError } from '../core/errors.js';
import type { ArenaLayout } from '../nn/arena.js';
import { describe } from './checks.js';
import type { TensorRecord } from './records.js';

/** When fit snapshots: every `steps` steps or `seconds` seconds, whichever comes first (either may be left out). */
export interface SnapshotEvery {
  steps?: number;
  seconds?: number;
}

/** fit's default: a snapshot every 50 steps or 10 seconds. */
export const DEFAULT_SNAPSHOT_EVERY: Required<SnapshotEvery> = { steps: 50, seconds: 10 };

/** Where a fit stood: the next batch is rows `from..` of epoch `epoch`'s order (seeded shuffle `seed`). */
export interface FitPosition {
  epoch: number;
  from: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
}

/** One arena of a network, as a snapshot copies it and a recovery writes it back. */
export interface ArenaSource {
  /** 'parameters', 'statistics', or an optimizer slot's name. */
  name: string;
  buffer: GPUBuffer;
  layout: ArenaLayout;
  optimizerSlot: boolean;
}

/** A CPU copy of what training needs to go on from a step: arenas, step counters and the fit's position. */
export class TrainingSnapshot {
  constructor(
    /** Network steps taken when it was made (what a schedule counts from). */
    readonly steps: number,
    /** The optimizer's own step count (its bias corrections). */
    readonly optimizerSteps: number,
    /** The optimizer whose state slots it holds. */
    readonly optimizer: string,
    readonly position: FitPosition,
    /** Every arena, back to back, in `parts` order. */
    readonly data: Float32Array,
    readonly parts: readonly { name: string; offset: number; layout: ArenaLayout; optimizerSlot: boolean }[],
  ) {}

  /** One arena's floats by its name ('parameters', 'statistics', an optimizer slot). */
  arena(name: string): Float32Array {
    const p = this.parts.find((q) => q.name === name);
    if (!p) throw new OptionError(`snapshot: no arena '${name}' (it has ${this.parts.map((q) => q.name).join(', ')})`);
    return this.data.subarray(p.offset, p.offset + p.layout.length);
  }

  /** Parameters and BatchNorm statistics by tensor name: what `net.load` takes. */
  get parameters(): TensorRecord {
    return Object.assign({}, ...this.parts.filter((p) => !p.optimizerSlot).map((p) => this.record(p.name)));
  }

  /** Optimizer state by slot, then tensor name: what `net.loadOptimizerState` takes (with `optimizerSteps`). */
  get optimizerState(): Record<string, TensorRecord> {
    return Object.fromEntries(this.parts.filter((p) => p.optimizerSlot).map((p) => [p.name, this.record(p.name)]));
  }

  private record(name: string): TensorRecord {
    const all = this.arena(name);
    const layout = this.parts.find((p) => p.name === name)!.layout;
    const out: TensorRecord = {};
    for (const s of layout.segments) out[s.name] = { shape: [...s.shape], data: all.slice(s.offset, s.offset + s.length) };
    return out;
  }
}

/** The snapshotEvery option checked: null when snapshots are off. OptionError on anything else. */
export function checkSnapshotEvery(v: unknown): Required<SnapshotEvery> | null {
  if (v === false) return null;
  if (v === undefined) return DEFAULT_SNAPSHOT_EVERY;
  const bad = (why: string, got: unknown = v) => new OptionError(`fit: snapshotEvery${why}, got ${describe(got)}`);
  if (typeof v !== 'object' || v === null) throw bad(' must be false or { steps?, seconds? }');
  const { steps, seconds, ...rest } = v as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw bad(` has unknown keys ${Object.keys(rest).join(', ')}; expected steps, seconds`);
  if (steps === undefined && seconds === undefined) throw bad(' needs steps or seconds (false switches snapshots off)');
  if (steps !== undefined && (!Number.isInteger(steps) || (steps as number) < 1)) throw bad('.steps must be a positive integer', steps);
  if (seconds !== undefined && (typeof seconds !== 'number' || !(seconds > 0))) throw bad('.seconds must be a positive number', seconds);
  return { steps: (steps as number | undefined) ?? Infinity, seconds: (seconds as number | undefined) ?? Infinity };
}

/** What a Snapshotter needs of the network and its runtime. */
export interface SnapshotHost {
  device(): GPUDevice;
  createStaging(bytes: number): GPUBuffer;
  freeStaging(buffer: GPUBuffer): void;
  arenas(): ArenaSource[];
  counters(): { steps: number; optimizerSteps: number; optimizer: string };
}

/** Takes snapshots on schedule; `committed` is the latest whose copy has reached the CPU. */
export class Snapshotter {
  committed: TrainingSnapshot | null = null;
  private staging: GPUBuffer | null = null;
  private device: GPUDevice | null = null;
  private inFlight: Promise<void> | null = null;
  private lastStep = -Infinity;
  private lastTime = -Infinity;

  constructor(
    private readonly host: SnapshotHost,
    private readonly every: Required<SnapshotEvery>,
  ) {}

  /**
   * Whether a snapshot is due after `steps` network steps: 'steps' when the step count says so (the caller waits for
   * one still in flight, so the schedule holds on a slow machine), 'seconds' when only the clock does (skipped while
   * one is in flight: the staging buffer is busy), null when none is.
   */
  due(steps: number): 'steps' | 'seconds' | null {
    if (steps - this.lastStep >= this.every.steps) return 'steps';
    if (!this.inFlight && (performance.now() - this.lastTime) / 1000 >= this.every.seconds) return 'seconds';
    return null;
  }

  /** Resolves once no snapshot is in flight (never rejects: a failed map settles too). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Copy the arenas after the work submitted so far; commits when the map resolves, without waiting for it. */
  take(position: FitPosition): Promise<void> {
    const arenas = this.host.arenas();
    const device = this.host.device();
    const floats = arenas.reduce((n, a) => n + a.layout.length, 0);
    // Made once per device and reused; a new device (after a recovery) needs its own.
    if (this.device !== device) {
      this.staging = this.host.createStaging(Math.max(4, floats * 4));
      this.device = device;
    }
    const staging = this.staging!;
    const enc = device.createCommandEncoder({ label: 'snapshot' });
    let offset = 0;
    const parts = arenas.map((a) => {
      if (a.layout.length > 0) enc.copyBufferToBuffer(a.buffer, 0, staging, offset * 4, a.layout.length * 4);
      const part = { name: a.name, offset, layout: a.layout, optimizerSlot: a.optimizerSlot };
      offset += a.layout.length;
      return part;
    });
    device.queue.submit([enc.finish()]);
    const c = this.host.counters();
    const pos = { ...position };
    this.lastStep = c.steps;
    this.lastTime = performance.now();
    // Never rejects: a map that fails (the device lost) leaves the last committed snapshot in place.
    const p = staging.mapAsync(GPUMapMode.READ, 0, Math.max(4, floats * 4)).then(
      () => {
        let data: Float32Array;
        try {
          data = new Float32Array(staging.getMappedRange(0, floats * 4).slice(0));
          staging.unmap();
        } catch {
          // Freed since the map resolved (the fit ended): nothing to commit.
          return;
        }
        this.committed = new TrainingSnapshot(c.steps, c.optimizerSteps, c.optimizer, pos, data, parts);
      },
      () => undefined,
    );
    const settled = p.finally(() => {
      if (this.inFlight === settled) this.inFlight = null;
    });
    this.inFlight = settled;
    return settled;
  }

  /** Back to the committed snapshot after a recovery: the next one is due `every.steps` steps after it. */
  restarted(steps: number): void {
    this.inFlight = null;
    this.lastStep = steps;
    this.lastTime = performance.now();
  }

  /** Free the staging buffer. */
  destroy(): void {
    if (this.staging && this.device === this.host.device()) this.host.freeStaging(this.staging);
    this.staging = null;
    this.device = null;
  }
}
