// The TrainingError a non-finite step stops training with, and its claim about the parameters made true.
import { TrainingError } from '../core/errors.js';
import type { Segment } from '../nn/arena.js';
import type { MetricsRing } from '../scheduler/metrics.js';

/** Why a step went non-finite, from its metrics: the gradient that went bad first, or else the loss. */
export function nonFiniteCause(segs: readonly Segment[], segmentNonFinite: ArrayLike<number>, loss: number): string {
  // Backpropagation reaches the output layer first: the last bad segment in arena order went bad first.
  const bad = segs.filter((_, i) => segmentNonFinite[i]! > 0).map((s) => s.name);
  const listed = bad.length > 6 ? `${bad.slice(-6).join(', ')} and ${bad.length - 6} more` : bad.join(', ');
  return bad.length ? `the gradient of '${bad[bad.length - 1]}' first went non-finite (non-finite: ${listed})` : `the loss went non-finite (${loss})`;
}

/**
 * The first non-finite step of a run. The update guard keeps the parameters from before that step, which is
 * what the error says; but an update with finite gradients can itself overflow them (a huge rate), which no
 * gradient check sees, so `confirm` reads them once, on the failure path only, and corrects the claim.
 */
export class FailureWatch {
  /** The error training stopped with, or null. */
  error: TrainingError | null = null;
  private cause = '';
  private checked = false;
  /** Each step's learning rate by ring slot, to name the update that overflowed. */
  private readonly rates: Float64Array;

  constructor(private readonly ring: MetricsRing) {
    this.rates = new Float64Array(ring.slots);
  }

  /** Before step `step` is submitted: its rate. */
  noteRate(step: number, lr: number): void {
    this.rates[this.ring.slotOf(step)] = lr;
  }

  /** A step's metrics came back non-finite: the first such step becomes the error. */
  observe(step: number, segs: readonly Segment[], segmentNonFinite: ArrayLike<number>, loss: number): void {
    if (this.error) return;
    this.cause = nonFiniteCause(segs, segmentNonFinite, loss);
    this.checked = false;
    this.error = new TrainingError(
      `training stopped at step ${step}: ${this.cause}. The parameters are those from before step ${step}; ` +
        'lower the learning rate or check the data, then call resume() to go on.',
      step,
    );
  }

  /** The error, its claim checked against the parameters `readParams` returns. */
  async confirm(readParams: () => Promise<Float32Array>): Promise<TrainingError> {
    const f = this.error;
    if (!f) throw new TrainingError('training has not failed: there is nothing to confirm');
    if (this.checked) return f;
    this.checked = true;
    const params = await readParams();
    if (params.every(Number.isFinite) || this.error !== f) return f;
    const step = f.step ?? 0;
    const last = step > 0 ? ` (step ${step - 1} ran with learning rate ${this.rates[this.ring.slotOf(step - 1)]})` : '';
    this.error = new TrainingError(
      `training stopped at step ${step}: ${this.cause}. The parameters are already non-finite: an update before step ${step} ` +
        `overflowed them${last}. resume() cannot help; reset() or load a checkpoint, then lower the learning rate.`,
      step,
    );
    return this.error;
  }
}
