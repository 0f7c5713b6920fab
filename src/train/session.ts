// Step-by-step training for interactive apps (start, pause, step once, reset): the caller decides when steps
// run, e.g. a few milliseconds' worth per animation frame, so a page never freezes. Metrics arrive through
// the network's onStep listeners, from the non-blocking metrics ring.
import type { Dataset } from '../data/dataset.js';
import type { StepPlan } from '../scheduler/plan.js';
import type { Schedule } from '../optim/schedules.js';
import { Rng } from '../util/rng.js';
import { rateSchedule } from './checks.js';
import { checkBatchSize, dataFor, gather } from './fit.js';
import type { TokenData } from './checks.js';
import type { Network } from './network.js';

/** Options of a TrainingSession. */
export interface SessionOptions {
  /** 1: SGD; the dataset size: full-batch gradient descent; between: mini-batch. Default 32. */
  batchSize?: number;
  /** Reshuffle every epoch (seeded). Default true. */
  shuffle?: boolean;
  seed?: number;
  /** A fixed rate or a schedule of the step (1-based); default the optimizer's rate. */
  learningRate?: number | Schedule;
}

/** Training in small time-budgeted slices, for an interactive page that must keep drawing. */
export class TrainingSession {
  /** Completed passes over the data. */
  epoch = 0;
  /** Steps taken in the current epoch. */
  stepInEpoch = 0;
  readonly batchSize: number;
  private readonly order: Uint32Array;
  private readonly rng: Rng;
  private full: StepPlan | null = null;
  private tail: StepPlan | null = null;
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private readonly tailX: Float32Array;
  private readonly tailY: Float32Array;
  private uploaded = false;

  readonly data: Dataset;

  constructor(
    readonly net: Network,
    input: Dataset | TokenData,
    private readonly options: SessionOptions = {},
  ) {
    const data = (this.data = dataFor(net, input, 'TrainingSession'));
    rateSchedule(options.learningRate, 'TrainingSession');
    this.batchSize = options.batchSize ?? Math.min(32, data.n);
    checkBatchSize(this.batchSize, data.n);
    this.order = Uint32Array.from({ length: data.n }, (_, i) => i);
    this.rng = new Rng(options.seed ?? 1);
    const t = data.task === 'classification' ? 1 : data.outputDim;
    const tail = data.n % this.batchSize;
    this.x = new Float32Array(this.batchSize * data.inputDim);
    this.y = new Float32Array(this.batchSize * t);
    this.tailX = new Float32Array(tail * data.inputDim);
    this.tailY = new Float32Array(tail * t);
    this.shuffle();
  }

  /** Steps in one epoch. */
  get stepsPerEpoch(): number {
    return Math.ceil(this.data.n / this.batchSize);
  }

  /** Compile the step plans (shader compilation happens here, asynchronously). */
  async ready(): Promise<void> {
    this.full ??= await this.net.plan(this.batchSize, true);
    const tail = this.data.n % this.batchSize;
    if (tail) this.tail ??= await this.net.plan(tail, true);
  }

  private shuffle(): void {
    if (this.options.shuffle === false) return;
    const o = this.order;
    for (let i = o.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const tmp = o[i]!;
      o[i] = o[j]!;
      o[j] = tmp;
    }
  }

  /**
   * Submit training steps: `steps` of them, or as many as fit in `budgetMs` of CPU time, whichever ends
   * first (default one step), and never more than `maxAhead` steps beyond what the GPU has finished (so a
   * pause or a redraw is not stuck behind a long queue on a slow adapter). Resolves with the number
   * submitted; throws the network's TrainingError if a step went non-finite, a BusyError while a fit or
   * another run holds the network.
   */
  run(limits: { steps?: number; budgetMs?: number; maxAhead?: number } = {}): Promise<number> {
    return this.net.hold('TrainingSession.run()', () => this.submit(limits));
  }

  private async submit(limits: { steps?: number; budgetMs?: number; maxAhead?: number }): Promise<number> {
    await this.ready();
    const maxSteps = limits.steps ?? (limits.budgetMs === undefined ? 1 : Infinity);
    const t0 = performance.now();
    let done = 0;
    const B = this.batchSize;
    const constant = B === this.data.n && this.options.shuffle === false;
    const maxAhead = limits.maxAhead ?? Infinity;
    while (done < maxSteps && (limits.budgetMs === undefined || performance.now() - t0 < limits.budgetMs)) {
      if (this.net.steps - this.net.completedSteps >= maxAhead) break;
      if (this.net.failure) throw this.net.failure;
      const from = this.stepInEpoch * B;
      const count = Math.min(B, this.data.n - from);
      const [plan, x, y] = count === B ? [this.full!, this.x, this.y] : [this.tail!, this.tailX, this.tailY];
      const upload = !constant || !this.uploaded;
      if (upload) gather(this.data, this.order, from, count, x, y);
      this.uploaded = true;
      const lrOpt = this.options.learningRate;
      const lr = lrOpt === undefined ? this.net.optimizer.lr : typeof lrOpt === 'number' ? lrOpt : lrOpt(this.net.optimizerSteps + 1);
      await this.net.trainStep(plan, upload ? x : null, upload ? y : null, lr);
      done++;
      this.stepInEpoch++;
      if (this.stepInEpoch * B >= this.data.n) {
        this.stepInEpoch = 0;
        this.epoch++;
        this.shuffle();
      }
    }
    return done;
  }
}
