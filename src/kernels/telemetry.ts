import { OptionError, ShapeError } from '../core/errors.js';
import type { BufferRef } from '../gpu/buffers.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { dims, expectShape, runPrepared } from './common.js';
import { gridFor } from './grid.js';

/** Invocations per workgroup (a power of two). */
const WG = 64;

/**
 * Layout of one metrics slot (floats): loss, accuracy, non-finite flag, global gradient norm, then for each
 * segment s its L2 norm at SEGMENTS + 2 s and its count of non-finite values at SEGMENTS + 2 s + 1.
 */
export const METRIC = { loss: 0, accuracy: 1, nonFinite: 2, gradNorm: 3, segments: 4 } as const;

/** Floats per metrics slot for `segmentCount` gradient segments: 4 + 2 S. */
export const metricsStride = (segmentCount: number): number => 4 + 2 * segmentCount;

/** A run of the gradient arena (one parameter tensor), in elements. */
export interface Segment {
  offset: number;
  length: number;
}

export interface TelemetryTensors {
  /** The gradient arena (or any f32 tensor the segments index into); read only. */
  grads: Tensor;
  /** S [offset, length] pairs as u32: a Tensor [S, 2] made by segmentTable(), or any buffer range holding them. */
  segments: Tensor | BufferRef;
  /** [B] per-row loss; read only. */
  loss: Tensor;
  /** [B] 1/0 per row; omit for losses without an accuracy (slot's accuracy is then NaN). */
  correct?: Tensor;
  /** The ring: slots x (4 + 2 S) floats, any shape of that size; only slot `slot` is written. */
  metrics: Tensor;
}

export interface TelemetryOptions {
  /** S; required when `segments` is not a [S, 2] Tensor. */
  segmentCount?: number;
  /** Slot to write, default 0; change it per step with setTelemetrySlot (or setUniforms('params', { slot })). */
  slot?: number;
}

export interface Metrics {
  loss: number;
  accuracy: number;
  nonFinite: boolean;
  gradNorm: number;
  segmentNorms: number[];
  segmentNonFinite: number[];
}

// The ring size and full uniform values of each prepared dispatch, so a slot change can be checked and written whole.
const prepared = new WeakMap<Dispatch, { slots: number; params: Record<string, number> }>();

/** Upload a segment table for prepareTelemetry: a [S, 2] tensor of u32 [offset, length] pairs. */
export function segmentTable(rt: Runtime, segments: readonly Segment[], gradCount?: number): Tensor {
  const data = new Uint32Array(segments.length * 2);
  segments.forEach((s, i) => {
    const ok = [s.offset, s.length].every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    if (!ok || (gradCount !== undefined && s.offset + s.length > gradCount)) {
      const within = gradCount === undefined ? '' : ` within ${gradCount} gradient elements`;
      throw new ShapeError(`telemetry: segment ${i} {offset: ${s.offset}, length: ${s.length}} is not a u32 range${within}`);
    }
    data[2 * i] = s.offset;
    data[2 * i + 1] = s.length;
  });
  return new Tensor(rt, rt.upload(data, 'segments'), [segments.length, 2], 'segments');
}

/**
 * Prepare the two telemetry dispatches, to run in this order: per-segment norms and non-finite counts, then loss,
 * accuracy, the non-finite flag and the global norm. Both write only slot `slot` of `metrics`.
 */
export async function prepareTelemetry(rt: Runtime, t: TelemetryTensors, options: TelemetryOptions = {}): Promise<Dispatch[]> {
  const what = 'telemetry';
  const isTensor = t.segments instanceof Tensor;
  const S = options.segmentCount ?? (isTensor ? (t.segments as Tensor).shape[0] : undefined);
  if (S === undefined || !Number.isInteger(S) || S < 0) {
    throw new OptionError(`${what}: segmentCount must be a non-negative integer (or pass segments as a [S, 2] tensor), got ${S}`);
  }
  if (isTensor) expectShape(what, 'segments', t.segments as Tensor, [S, 2]);
  const B = t.loss.size;
  if (t.loss.shape.length !== 1 || B === 0) throw new ShapeError(`${what}: 'loss' must be a non-empty [B], got ${dims(t.loss.shape)}`);
  if (t.correct) expectShape(what, 'correct', t.correct, [B]);
  const stride = metricsStride(S);
  const slots = t.metrics.size / stride;
  if (!Number.isInteger(slots) || slots < 1) {
    throw new ShapeError(`${what}: 'metrics' must hold whole slots of ${stride} floats (4 + 2 x ${S} segments), got ${dims(t.metrics.shape)}`);
  }
  const slot = checkSlot(options.slot ?? 0, slots);
  const params = { n: t.grads.size, S, B, has_correct: t.correct ? 1 : 0, slot, slots };
  const segs = isTensor ? (t.segments as Tensor).ref : (t.segments as BufferRef);
  const [k1, k2] = await Promise.all([
    rt.kernel('telemetry', { entry: 'segment_norms', constants: { WG } }),
    rt.kernel('telemetry', { entry: 'finish', constants: { WG } }),
  ]);
  const ds: Dispatch[] = [];
  try {
    ds.push(
      rt.prepare(k1, {
        buffers: { grads: t.grads.ref, segments: segs, metrics: t.metrics.ref },
        uniforms: { params },
        workgroups: gridFor(S),
        needs: { grads: t.grads.size * 4, segments: S * 8, metrics: slots * stride * 4 },
        label: `telemetry segment_norms S=${S}`,
      }),
    );
    ds.push(
      rt.prepare(k2, {
        buffers: { loss: t.loss.ref, correct: t.correct?.ref ?? rt.placeholder, metrics: t.metrics.ref },
        uniforms: { params },
        workgroups: [1],
        needs: { loss: B * 4, correct: t.correct ? B * 4 : 0, metrics: slots * stride * 4 },
        label: `telemetry finish B=${B}`,
      }),
    );
  } catch (e) {
    for (const d of ds) rt.release(d);
    throw e;
  }
  for (const d of ds) prepared.set(d, { slots, params });
  return ds;
}

function checkSlot(slot: number, slots: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= slots) {
    throw new OptionError(`telemetry: slot must be an integer in [0, ${slots - 1}] (the ring has ${slots} slots), got ${slot}`);
  }
  return slot;
}

/** Point prepared telemetry dispatches at another slot of their ring (a uniform write; no re-preparation). */
export function setTelemetrySlot(dispatches: readonly Dispatch[], slot: number): void {
  for (const d of dispatches) {
    const p = prepared.get(d);
    if (!p) throw new OptionError(`setTelemetrySlot: '${d.label}' was not made by prepareTelemetry`);
    checkSlot(slot, p.slots);
  }
  for (const d of dispatches) {
    const p = prepared.get(d)!;
    p.params = { ...p.params, slot };
    d.setUniforms('params', p.params);
  }
}

/** Run telemetry once on the GPU into slot `slot` of `metrics`. */
export async function telemetry(rt: Runtime, t: TelemetryTensors, options: TelemetryOptions = {}): Promise<void> {
  await runPrepared(rt, [], [() => prepareTelemetry(rt, t, options)]);
}

/** Read slot `slot` of a metrics ring read back to the CPU (the whole ring, or any prefix holding that slot). */
export function decodeMetrics(data: Float32Array, slot: number, segmentCount: number): Metrics {
  const stride = metricsStride(segmentCount);
  const base = slot * stride;
  if (!Number.isInteger(slot) || slot < 0 || data.length < base + stride) {
    throw new ShapeError(`decodeMetrics: slot ${slot} of ${stride} floats is not inside ${data.length} floats`);
  }
  const seg = (k: number) => Array.from({ length: segmentCount }, (_, s) => data[base + METRIC.segments + 2 * s + k]!);
  return {
    loss: data[base + METRIC.loss]!,
    accuracy: data[base + METRIC.accuracy]!,
    nonFinite: data[base + METRIC.nonFinite]! !== 0,
    gradNorm: data[base + METRIC.gradNorm]!,
    segmentNorms: seg(0),
    segmentNonFinite: seg(1),
  };
}
