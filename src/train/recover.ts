// Going on after a lost device: a new device from the runtime, the network's arenas made again on it and
// filled from the last committed snapshot; fit then replays from the snapshot's step with the same batches.
import { DeviceError, OptionError } from '../core/errors.js';
import { describe } from './checks.js';
import type { Network } from './network.js';
import type { TrainingSnapshot } from './snapshot.js';

/** fit's default limit on recoveries in one run. */
export const DEFAULT_MAX_RECOVERIES = 3;

/** The device was lost and training could not go on; `snapshot` is the last state that reached the CPU. */
export class DeviceLostError extends DeviceError {
  constructor(
    message: string,
    /** Load it in a new runtime: `restoreSnapshot(net, snapshot)`, then `fit(data, { resumeFrom: snapshot })`. */
    readonly snapshot: TrainingSnapshot,
  ) {
    super(message);
    this.name = 'DeviceLostError';
  }
}

/** Given to onDeviceLost: what was lost, and what training will go back to. */
export interface DeviceLostInfo {
  /** Why, as the device said. */
  reason: string;
  /** Steps submitted when the loss was seen. */
  step: number;
  /** The snapshot a recovery restores. */
  snapshot: TrainingSnapshot;
}

/** Given to onRecovered: training goes on from `snapshot.steps` on a new device. */
export interface RecoveredInfo {
  /** Recoveries so far in this fit, this one included. */
  recoveries: number;
  /** Steps that will run again: submitted before the loss, after the snapshot. */
  repeatedSteps: number;
  snapshot: TrainingSnapshot;
  /** Wall time from seeing the loss to the restored arenas written. */
  seconds: number;
}

/** The maxRecoveries option checked. */
export function checkMaxRecoveries(v: unknown): number {
  if (v === undefined) return DEFAULT_MAX_RECOVERIES;
  if (!Number.isInteger(v) || (v as number) < 0) throw new OptionError(`fit: maxRecoveries must be an integer >= 0, got ${describe(v)}`);
  return v as number;
}

/**
 * Whether `error` is a lost device that a recovery may fix: a DeviceError while the runtime says its device is
 * lost (not destroyed with the runtime, and the network not destroyed). A failed read can come before the
 * loss is reported, so a DeviceError while the device still looks alive waits briefly for the report.
 */
export async function isDeviceLoss(net: Network, error: unknown): Promise<boolean> {
  if (!(error instanceof DeviceError) || net.guard.destroyed) return false;
  if (!net.rt.alive || net.rt.lost) return net.rt.lost;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([net.rt.whenLost, new Promise((r) => (timer = setTimeout(r, 1000)))]);
  clearTimeout(timer);
  return net.rt.lost;
}

/**
 * Replace the lost device and put `snap` back on the new one: arenas written, counters set. A
 * DeviceLostError carrying `snap` when no new device can be had.
 */
export async function restoreOnNewDevice(net: Network, snap: TrainingSnapshot, reason: string): Promise<void> {
  try {
    await net.rt.recover();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DeviceLostError(
      `${why}. The last snapshot (step ${snap.steps}) is error.snapshot: restoreSnapshot(net, error.snapshot) in a new runtime. (${reason})`,
      snap,
    );
  }
  net.rebuildOnNewDevice(snap.steps, snap.optimizerSteps);
  writeArenas(net, snap);
}

function writeArenas(net: Network, snap: TrainingSnapshot): void {
  const q = net.rt.device.queue;
  for (const a of net.arenas()) {
    const data = snap.arena(a.name);
    if (data.length > 0) q.writeBuffer(a.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }
}

/**
 * Load a snapshot into a network (of the same model and optimizer), e.g. from DeviceLostError.snapshot in a new
 * runtime: parameters, statistics, optimizer state and step counts. Everything is checked before anything is written.
 */
export function restoreSnapshot(net: Network, snap: TrainingSnapshot): void {
  if (snap.optimizer !== net.optimizer.name) {
    throw new OptionError(`restoreSnapshot: the snapshot holds ${snap.optimizer} state and the network uses ${net.optimizer.name}; setOptimizer first`);
  }
  net.load(snap.parameters, { dryRun: true });
  net.loadOptimizerState(snap.optimizerState, snap.optimizerSteps, { dryRun: true });
  net.load(snap.parameters);
  net.loadOptimizerState(snap.optimizerState, snap.optimizerSteps);
  net.restoreSteps(snap.steps, snap.optimizerSteps);
}
