import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { ACTIVATION_STATS_STRIDE, HIST_BINS, STAT, saturationThreshold } from '../reference/activation-stats.js';
import { activationCode, type ActivationOptions } from './activation.js';
import { dims, runPrepared } from './common.js';

export { ACTIVATION_STATS_STRIDE, HIST_BINS, HIST_MAX, HIST_MIN, STAT } from '../reference/activation-stats.js';

const WG = 256;

/** Pre-activations in, the statistics record (and optionally the activated output) out. */
export interface ActivationStatsTensors {
  /** Pre-activations z [B, U]; read only. */
  z: Tensor;
  /** When given, y = act(z) is written here too ([B, U]): the layer's forward pass and its statistics in one dispatch. */
  y?: Tensor;
  /** The ring (any shape): record of slot s at base + s * stride; only slot `slot`'s record is written. */
  metrics: Tensor;
}

/** The activation measured (and optionally applied) and the ring slot written. */
export interface ActivationStatsOptions extends ActivationOptions {
  /** Float index of slot 0's record in `metrics`. Default 0. */
  base?: number;
  /** Floats between one slot's record and the next (>= ACTIVATION_STATS_STRIDE). Default ACTIVATION_STATS_STRIDE. */
  stride?: number;
  /** Slots in the ring; default as many whole slots as `metrics` holds from `base`. */
  slots?: number;
  /** Slot to write, default 0; change it per step with setActivationStatsSlot. */
  slot?: number;
}

/** One layer's decoded record: see shaders/activation_stats.wgsl for each definition. */
export interface ActivationStatsRecord {
  saturated: number;
  dead: number;
  mean: number;
  std: number;
  nonFinite: number;
  /** Counts of finite z per bin of 0.5 over [-8, 8), the outer bins holding the tails. */
  histogram: number[];
}

const ringOf = new WeakMap<Dispatch, number>();

const whole = (v: number, min: number) => Number.isInteger(v) && v >= min && v <= 0xffffffff;

/**
 * Prepare the statistics of one activation layer's pre-activations (one workgroup, one dispatch), written into
 * slot `slot` of a ring; with `y`, the same dispatch applies the activation.
 */
export async function prepareActivationStats(rt: Runtime, t: ActivationStatsTensors, options: ActivationStatsOptions): Promise<Dispatch> {
  const what = `activation_stats ${options.activation}`;
  const { code, slope } = activationCode(options);
  if (t.z.shape.length !== 2 || t.z.size === 0) throw new ShapeError(`${what}: 'z' must be a non-empty [B, U], got ${dims(t.z.shape)}`);
  const [B, U] = t.z.shape as [number, number];
  if (t.y && t.y.size !== t.z.size) throw new ShapeError(`${what}: 'y' must have the ${t.z.size} elements of z ${dims(t.z.shape)}, got ${dims(t.y.shape)}`);
  const base = options.base ?? 0;
  const stride = options.stride ?? ACTIVATION_STATS_STRIDE;
  if (!whole(base, 0)) throw new OptionError(`${what}: base must be a non-negative integer, got ${base}`);
  if (!whole(stride, ACTIVATION_STATS_STRIDE)) throw new OptionError(`${what}: stride must be an integer >= ${ACTIVATION_STATS_STRIDE}, got ${stride}`);
  const room = Math.floor((t.metrics.size - base - ACTIVATION_STATS_STRIDE) / stride) + 1;
  const slots = options.slots ?? room;
  if (!whole(slots, 1) || slots > room) {
    throw new ShapeError(
      `${what}: 'metrics' (${t.metrics.size} floats) must hold ${options.slots ?? 'at least 1'} record(s) of ${ACTIVATION_STATS_STRIDE} floats from ${base}, every ${stride}; it holds ${Math.max(0, room)}`,
    );
  }
  const slot = checkSlot(options.slot ?? 0, slots);
  const limit = saturationThreshold(options.activation);
  const params = { B, U, slope, limit: Number.isFinite(limit) ? limit : 0, base, stride, slot, slots };
  const kernel = await rt.kernel('activation_stats', { constants: { ACT: code, APPLY: t.y !== undefined, WG } });
  const d = rt.prepare(kernel, {
    buffers: { z: t.z.ref, y: t.y?.ref ?? rt.placeholder, metrics: t.metrics.ref },
    uniforms: { params },
    workgroups: [1],
    needs: { z: B * U * 4, y: t.y ? B * U * 4 : 0, metrics: (base + (slots - 1) * stride + ACTIVATION_STATS_STRIDE) * 4 },
    label: `activation_stats:${options.activation}${t.y ? '+apply' : ''} ${B}x${U}`,
  });
  ringOf.set(d, slots);
  return d;
}

function checkSlot(slot: number, slots: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) {
    throw new OptionError(`activation_stats: slot must be an integer in [0, ${slots - 1}] (the ring has ${slots} slots), got ${slot}`);
  }
  return slot;
}

/** Point a prepared activation-statistics dispatch at another slot of its ring (a uniform write). */
export function setActivationStatsSlot(d: Dispatch, slot: number): void {
  const slots = ringOf.get(d);
  if (slots === undefined) throw new OptionError(`setActivationStatsSlot: '${d.label}' was not made by prepareActivationStats`);
  d.setUniforms('params', { slot: checkSlot(slot, slots) });
}

/** Run the statistics once on the GPU into slot `slot` of `metrics` (and y = act(z) when `y` is given). */
export async function activationStats(rt: Runtime, t: ActivationStatsTensors, options: ActivationStatsOptions): Promise<void> {
  await runPrepared(rt, [], [() => prepareActivationStats(rt, t, options)]);
}

/** Decode the record at float `at` of a ring read back to the CPU. */
export function decodeActivationStats(data: ArrayLike<number>, at: number): ActivationStatsRecord {
  if (!Number.isInteger(at) || at < 0 || data.length < at + ACTIVATION_STATS_STRIDE) {
    throw new ShapeError(`decodeActivationStats: a record of ${ACTIVATION_STATS_STRIDE} floats at ${at} is not inside ${data.length} floats`);
  }
  return {
    saturated: data[at + STAT.saturated]!,
    dead: data[at + STAT.dead]!,
    mean: data[at + STAT.mean]!,
    std: data[at + STAT.std]!,
    nonFinite: data[at + STAT.nonFinite]!,
    histogram: Array.from({ length: HIST_BINS }, (_, k) => data[at + STAT.histogram + k]!),
  };
}
