// One epoch's metrics by step: a step that runs again after a recovery replaces its first delivery, so an
// epoch's loss and accuracy count each batch once.
import type { StepMetrics } from './network.js';

/** Loss, accuracy and rows of each step of an epoch, as their metrics arrive. */
export class EpochTally {
  private readonly loss: Float64Array;
  private readonly correct: Float64Array;
  private readonly rows: Float64Array;
  /** Network step number of the epoch's first batch. */
  first = 0;

  constructor(stepsPerEpoch: number) {
    this.loss = new Float64Array(stepsPerEpoch);
    this.correct = new Float64Array(stepsPerEpoch);
    this.rows = new Float64Array(stepsPerEpoch);
  }

  /** A new epoch whose first batch is network step `first`. */
  start(first: number): void {
    this.first = first;
    this.loss.fill(0);
    this.correct.fill(0);
    this.rows.fill(0);
  }

  /** Record a step's metrics (those of another epoch are ignored). */
  add(m: StepMetrics): void {
    const i = m.step - this.first;
    if (i < 0 || i >= this.rows.length) return;
    this.loss[i] = m.loss * m.batchSize;
    this.correct[i] = m.accuracy * m.batchSize;
    this.rows[i] = m.batchSize;
  }

  /** Mean loss and accuracy over the rows delivered, and their count. */
  totals(): { loss: number; accuracy: number; samples: number } {
    let loss = 0;
    let correct = 0;
    let seen = 0;
    for (let i = 0; i < this.rows.length; i++) {
      loss += this.loss[i]!;
      correct += this.correct[i]!;
      seen += this.rows[i]!;
    }
    return { loss: loss / Math.max(1, seen), accuracy: correct / Math.max(1, seen), samples: seen };
  }
}
