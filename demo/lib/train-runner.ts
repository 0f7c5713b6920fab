// Interactive training without freezing the page: every GPU operation (a few milliseconds of steps, a
// prediction for a view, a rebuild) goes through one queue, and steps are submitted from
// requestAnimationFrame with a time budget per frame, so input and drawing always get their turn.
import {
  TrainingError,
  TrainingSession,
  compile,
  type Dataset,
  type Model,
  type Network,
  type OptimizerDef,
  type Runtime,
  type StepMetrics,
  type TokenData,
} from '../../src/index.js';

/** Runs async operations one at a time, in order. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  get idle(): boolean {
    return this.pending === 0;
  }

  exec<T>(fn: () => Promise<T>): Promise<T> {
    this.pending++;
    const p = this.tail.then(fn);
    this.tail = p.then(
      () => this.pending--,
      () => this.pending--,
    );
    return p;
  }
}

/**
 * `fn` wrapped so that it runs one call at a time: calls made while it runs make it run once more after it (they
 * coalesce), and its failures go to `fail`.
 */
export function coalesced(fn: () => Promise<void>, fail: (e: unknown) => void): () => Promise<void> {
  let busy = false;
  let again = false;
  return async () => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } catch (e) {
      fail(e);
    } finally {
      busy = false;
    }
  };
}

/** Steps per second from (time, step) samples over a sliding window. */
export class RateMeter {
  private samples: [number, number][] = [];
  rate = 0;

  constructor(private readonly windowMs = 2000) {}

  /** `step` (0-based) has finished by `now`. Samples may come in bursts (a block of metrics at once). */
  add(step: number, now = performance.now()): void {
    this.samples.push([now, step]);
    // The anchor is the newest sample at least a window old, so that slow, bursty progress still measures.
    while (this.samples.length > 2 && now - this.samples[1]![0] >= this.windowMs) this.samples.shift();
    const [t0, s0] = this.samples[0]!;
    if (now - t0 > 50 && step > s0) this.rate = ((step - s0) * 1000) / (now - t0);
  }

  /** Start a new measurement (after a pause): keeps showing the last rate until new samples arrive. */
  restart(): void {
    this.samples = [];
  }
}

export type Phase = 'loading' | 'compiling' | 'ready' | 'running' | 'paused' | 'diverged';

export interface RunnerHooks {
  phase(p: Phase, detail?: string): void;
  /** A step's metrics; `x` counts steps from the last reset (1-based). */
  metrics(m: StepMetrics, x: number): void;
  /** Each animation frame while there is a network (after the frame's steps were queued). */
  frame(now: number): void;
  /** An unexpected failure. */
  fatal(e: unknown): void;
}

export interface RunnerSetup {
  model: Model;
  optimizer: OptimizerDef;
  /** A dataset, or a sequence model's token ids and next-token labels. */
  data: Dataset | TokenData;
  batchSize: number;
  /** Eval batch sizes the views will predict with, compiled up front so the first redraw is quick. */
  evalSizes?: number[];
}

/** A network, its training session and the loop that drives it. */
export class TrainRunner {
  readonly queue = new SerialQueue();
  readonly meter = new RateMeter();
  /** Steps finished on the GPU per second, from completion signals: sets how far ahead steps are queued. */
  private readonly gpuMeter = new RateMeter(1000);
  /** net.steps known to be finished on the GPU. */
  private completed = 0;
  net: Network | null = null;
  session: TrainingSession | null = null;
  running = false;
  /** net.steps at the last reset: chart x = step - base + 1. */
  private base = 0;
  private off: (() => void) | null = null;
  private raf = 0;
  private generation = 0;
  /** The data as given to setup (a session converts token data; a reset starts from what was given). */
  private data: Dataset | TokenData | null = null;
  /** Whether training should go on once the network being built is ready. */
  private resumeAfter = false;
  /** Steps taken since the last reset (as submitted). */
  get steps(): number {
    return this.net ? this.net.steps - this.base : 0;
  }

  constructor(
    readonly rt: Runtime,
    private readonly hooks: RunnerHooks,
    /** CPU time per frame spent submitting steps. */
    private readonly budgetMs = 8,
  ) {}

  /** Replace the network (the old one is destroyed once its queued work is done). Resolves when compiled. */
  async setup(make: () => Promise<RunnerSetup>): Promise<boolean> {
    const gen = ++this.generation;
    this.resumeAfter ||= this.running;
    this.running = false;
    return this.queue.exec(async () => {
      if (gen !== this.generation) return false;
      this.off?.();
      await this.net?.destroy();
      this.net = this.session = null;
      const s = await make();
      if (gen !== this.generation) return false;
      this.hooks.phase('compiling');
      const net = await compile(this.rt, s.model, { loss: 'cross_entropy', optimizer: s.optimizer });
      const session = new TrainingSession(net, s.data, { batchSize: s.batchSize, seed: 1 });
      await session.ready();
      for (const b of s.evalSizes ?? []) await net.plan(b, false);
      if (gen !== this.generation) {
        await net.destroy();
        return false;
      }
      this.net = net;
      this.session = session;
      this.data = s.data;
      this.base = this.completed = net.steps;
      this.off = net.onStep((m) => this.deliver(m));
      this.meter.restart();
      this.meter.rate = 0;
      this.hooks.phase('ready');
      this.loop();
      if (this.resumeAfter) this.start();
      this.resumeAfter = false;
      return true;
    });
  }

  start(): void {
    if (!this.session || !this.net || this.running) return;
    this.running = true;
    // Nothing is in flight when training starts: every step so far is done now.
    this.meter.restart();
    this.meter.add(this.net.steps - 1);
    this.gpuMeter.restart();
    this.gpuMeter.add(this.net.steps);
    this.hooks.phase('running');
  }

  /** Stop submitting steps; resolves once every submitted step's metrics have arrived. */
  async pause(): Promise<void> {
    this.resumeAfter = false;
    if (!this.running) return;
    this.running = false;
    await this.queue.exec(async () => {
      await this.net?.flush();
      if (this.net) this.completed = this.net.steps;
    });
    if (!this.running) this.hooks.phase('paused');
  }

  /** One training step, its metrics delivered before this resolves. */
  async stepOnce(): Promise<void> {
    if (this.running) return;
    await this.queue.exec(async () => {
      if (!this.session || !this.net) return;
      await this.guard(() => this.session!.run({ steps: 1 }));
      await this.net.flush();
      this.completed = this.net.steps;
    });
  }

  /** Back to the initial weights with a fresh optimizer state and a new pass over the data. */
  async reset(): Promise<void> {
    this.running = false;
    await this.queue.exec(async () => {
      const net = this.net;
      if (!net || !this.session) return;
      await net.reset();
      this.session = new TrainingSession(net, this.data ?? this.session.data, { batchSize: this.session.batchSize, seed: 1 });
      await this.session.ready();
      this.base = this.completed = net.steps;
      this.meter.restart();
      this.meter.rate = 0;
    });
    this.hooks.phase('ready');
  }

  /** Change the optimizer's hyper-parameters in place, keeping its state (moments, velocity). */
  setOptimizer(def: OptimizerDef): Promise<void> {
    return this.queue.exec(async () => {
      await this.net?.setOptimizer(def, { state: def.state.length ? 'keep' : 'reset' });
    });
  }

  /** Run `fn` with the network between steps (for predictions); null when there is no network. */
  withNet<T>(fn: (net: Network) => Promise<T>): Promise<T | null> {
    return this.queue.exec(async () => (this.net ? fn(this.net) : null));
  }

  private deliver(m: StepMetrics): void {
    if (m.step < this.base) return;
    this.meter.add(m.step);
    this.hooks.metrics(m, m.step - this.base + 1);
  }

  private loop(): void {
    cancelAnimationFrame(this.raf);
    const frame = (now: number): void => {
      if (!this.net) return;
      const room = this.room();
      if (this.running && this.queue.idle && room > 0) {
        this.queue
          .exec(async () => {
            const net = this.net;
            if (!this.running || !this.session || !net) return;
            await this.guard(() => this.session!.run({ budgetMs: this.budgetMs, steps: room }));
            const mark = net.steps;
            void this.rt.device.queue.onSubmittedWorkDone().then(() => {
              if (this.net !== net || mark <= this.completed) return;
              this.completed = mark;
              this.gpuMeter.add(mark);
            });
          })
          .catch((e: unknown) => this.hooks.fatal(e));
      }
      this.hooks.frame(now);
      this.raf = requestAnimationFrame(frame);
    };
    this.raf = requestAnimationFrame(frame);
  }

  /**
   * How many more steps to queue: about a quarter of a second of GPU work ahead at most, so that pausing, and
   * the views, lag little behind even on a slow adapter (where a step can take tens of milliseconds).
   */
  private room(): number {
    if (!this.net) return 0;
    const ahead = this.net.steps - this.completed;
    return Math.max(4, Math.round(this.gpuMeter.rate * 0.25)) - ahead;
  }

  /** A step that went non-finite stops training with a message rather than failing the page. */
  private async guard(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof TrainingError)) throw e;
      this.running = false;
      this.hooks.phase('diverged', e.message);
    }
  }
}
