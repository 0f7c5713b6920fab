// A model compiled onto a runtime: its parameter, gradient and state arenas on the GPU, the step plans for
// each batch size it has met, and the metrics ring. Training loops live in fit.ts.
import { checkAttentionChoice, type AttentionChoice } from '../kernels/attention-composed.js';
import { CheckpointError, DeviceError, OptionError, TrainingError } from '../core/errors.js';
import type { Activation } from '../core/activations.js';
import { ACTIVATION_STATS_STRIDE, decodeActivationStats, type ActivationStatsRecord } from '../kernels/activation-stats.js';
import { activationLayers } from '../scheduler/lower-stats.js';
import type { Runtime } from '../gpu/runtime.js';
import { decodeMetrics } from '../kernels/telemetry.js';
import type { Model } from '../nn/model.js';
import type { ArenaLayout } from '../nn/arena.js';
import type { OptimizerDef } from '../optim/optimizer.js';
import { checkOptimizer } from '../optim/options.js';
import { StepPlan, type PlanContext } from '../scheduler/plan.js';
import type { MetricsListener } from '../scheduler/metrics.js';
import type { ArenaSource } from './snapshot.js';
import type { LossKind } from '../core/losses.js';
import type { Dataset } from '../data/dataset.js';
import { checkCompileOptions, checkCount, checkStepRate, describe, type TokenData } from './checks.js';
import { createContext, swapOptimizer } from './context.js';
import { FailureWatch } from './failure.js';
import { NetworkGuard } from './guard.js';
import { evaluate, fit, predict, type FitOptions, type FitResult } from './fit.js';
import { checkGenerate, DecoderSlot, type GenerateOptions } from './generate.js';
import { applyWrites, readArena, recordWrites, stateWrites, type TensorRecord } from './records.js';

export type { TensorRecord } from './records.js';

/** Options of compile: the loss, the optimizer and how often metrics are read back. */
export interface CompileOptions {
  /** 'cross_entropy' (softmax cross-entropy over class indices) or 'mse'. */
  loss: LossKind;
  /** Default: sgd({ lr: 0.01 }). Any of src/optim: sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, adamw, adamax, lion. */
  optimizer?: OptimizerDef;
  /** Steps between metric read-backs (K). Default 10. */
  metricsEvery?: number;
  /** Read-backs in flight before a step waits for the GPU. Default 3. */
  maxPendingReads?: number;
  /**
   * Measure every activation layer's pre-activations each training step (saturated and dead fractions, mean,
   * std, histogram), delivered as StepMetrics.activations. One dispatch more per activation layer. Default false.
   */
  activationStats?: boolean;
  /**
   * How attention layers run: 'fused' (online softmax, no T x T matrix: long contexts, GPUs), 'composed' (batched
   * products and a row softmax, keeping each head's T x T probabilities: short contexts on CPU adapters, where it is
   * several times faster) or 'auto' (the default: composed on CPU adapters with 8-lane subgroups for contexts up to
   * 256 whose [B*H*T, T] matrices fit 16 MiB, fused elsewhere).
   */
  attention?: AttentionChoice;
}

/** One activation layer's pre-activations z [B, units] in one step; definitions in shaders/activation_stats.wgsl. */
export interface ActivationLayerStats extends ActivationStatsRecord {
  /** The activation node's name, e.g. '2' or '3.block.1'. */
  layer: string;
  activation: Activation;
  /** Units per example (columns of z). */
  units: number;
}

/** What the GPU measured in one training step. */
export interface StepMetrics {
  /** 0-based step number since the network was compiled. */
  step: number;
  batchSize: number;
  loss: number;
  accuracy: number;
  nonFinite: boolean;
  gradNorm: number;
  /** Gradient L2 norm per parameter tensor, by name. */
  layerGradNorms: Record<string, number>;
  /** Per activation layer, input side first, when compiled with `activationStats: true`. */
  activations?: ActivationLayerStats[];
}

/** A model compiled for training on the GPU: fit, evaluate, predict, and its tensors by name (made by compile). */
export class Network {
  /** Steps taken so far. */
  steps = 0;
  /** Steps the GPU has finished, as far as the metrics that came back show (they come every `metricsEvery` steps). */
  completedSteps = 0;
  /** Steps of the current optimizer (its bias corrections count from here); reset with its state. */
  optimizerSteps = 0;
  private readonly plans = new Map<string, Promise<StepPlan>>();
  private readonly listeners = new Set<(m: StepMetrics) => void>();
  private readonly batchSizes: Uint32Array;
  private readonly watch: FailureWatch;
  /** Destroyed, lost, or held by another operation: checked before anything is written. */
  readonly guard: NetworkGuard;

  private constructor(
    readonly rt: Runtime,
    readonly model: Model,
    readonly loss: LossKind,
    private readonly ctx: PlanContext,
    /** What it was compiled with: a recovery makes the context again from them. */
    private readonly compiled: CompileOptions,
  ) {
    this.batchSizes = new Uint32Array(ctx.ring.slots);
    this.watch = new FailureWatch(ctx.ring);
    this.guard = new NetworkGuard(rt);
    ctx.ring.onMetrics(this.fromRing);
  }

  private readonly fromRing: MetricsListener = (first, data, count, extra) => {
    for (let i = 0; i < count; i++) this.deliver(first + i, data, i, extra);
  };

  /** Put the model's initial parameters on the GPU and prepare everything a step needs. */
  static async compile(rt: Runtime, model: Model, options: CompileOptions): Promise<Network> {
    checkCompileOptions(options);
    if (options.activationStats !== undefined && typeof options.activationStats !== 'boolean') {
      throw new OptionError(`compile: activationStats must be true or false, got ${describe(options.activationStats)}`);
    }
    if (options.attention !== undefined) checkAttentionChoice(options.attention, rt);
    rt.checkAlive();
    return new Network(rt, model, options.loss, createContext(rt, model, options), options);
  }

  get layout(): ArenaLayout {
    return this.model.layout;
  }

  /** The optimizer every training step ends with. */
  get optimizer(): OptimizerDef {
    return this.ctx.optimizer;
  }

  /**
   * Switch optimizer, between fits. `state: 'reset'` (the default) starts the new optimizer from fresh state
   * and step 1. 'keep' carries over the state slots both optimizers keep, by name (e.g. Adam's moments into
   * AMSGrad, whose extra maximum starts at zero), and the step count; it is an error when the two share no slot.
   */
  async setOptimizer(optimizer: OptimizerDef, options: { state?: 'reset' | 'keep' } = {}): Promise<void> {
    checkOptimizer(optimizer, 'setOptimizer');
    await this.hold('setOptimizer()', () => this.switchOptimizer(optimizer, options.state ?? 'reset'));
  }

  private async switchOptimizer(optimizer: OptimizerDef, mode: 'reset' | 'keep'): Promise<void> {
    swapOptimizer(this.ctx, optimizer, mode);
    if (mode === 'reset') this.optimizerSteps = 0;
    for (const [key, p] of this.plans) if (key.endsWith(':true')) await (await p).rebuildUpdate();
  }

  /** The compiled plan for a batch size (training or evaluation), made on first use and kept. */
  plan(batchSize: number, training: boolean): Promise<StepPlan> {
    this.guard.checkUsable();
    const key = `${batchSize}:${training}`;
    let p = this.plans.get(key);
    if (!p) {
      p = StepPlan.compile(this.ctx, batchSize, training);
      this.plans.set(key, p);
      p.catch(() => this.plans.delete(key));
    }
    return p;
  }

  /** Called with each step's metrics as they arrive from the GPU (every `metricsEvery` steps). */
  onStep(listener: (m: StepMetrics) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One training step on a batch (rows of x, and labels or targets); returns once submitted. */
  async trainStep(
    plan: StepPlan,
    x: Float32Array | Uint32Array | Int32Array | null,
    y: Float32Array | Uint32Array | Int32Array | null,
    lr = this.optimizer.lr,
  ): Promise<void> {
    this.guard.checkUsable();
    if (this.failure) throw this.failure;
    const step = this.steps;
    checkStepRate(lr, step);
    const slot = this.ctx.ring.slotOf(step);
    this.batchSizes[slot] = plan.batchSize;
    this.watch.noteRate(step, lr);
    await plan.step(x, y, { step: this.optimizerSteps + 1, lr }, step);
    this.steps++;
    this.optimizerSteps++;
  }

  /** Wait until every submitted step's metrics have been delivered. */
  async flush(): Promise<void> {
    if (this.steps > 0) await this.ctx.ring.flush(this.steps - 1);
  }

  /** Clear a non-finite stop so training can go on from the last good parameters (e.g. with a lower rate). */
  resume(): void {
    this.failure = null;
    this.rt.device.queue.writeBuffer(this.ctx.control, 0, new Uint32Array(1));
  }

  private deliver(step: number, data: Float32Array, index: number, extra: Float32Array): void {
    this.completedSteps = Math.max(this.completedSteps, step + 1);
    const segs = this.layout.segments;
    const m = decodeMetrics(data, index, segs.length);
    const layerGradNorms: Record<string, number> = {};
    segs.forEach((s, i) => (layerGradNorms[s.name] = m.segmentNorms[i]!));
    const metrics: StepMetrics = {
      step,
      batchSize: this.batchSizes[this.ctx.ring.slotOf(step)]!,
      loss: m.loss,
      accuracy: m.accuracy,
      nonFinite: m.nonFinite,
      gradNorm: m.gradNorm,
      layerGradNorms,
    };
    if (this.ctx.activationStats) {
      const stride = this.ctx.ring.extraStride;
      metrics.activations = activationLayers(this.model.graph).map((n, l) => ({
        layer: n.name,
        activation: n.op.op === 'activation' ? n.op.activation : 'identity',
        units: n.width,
        ...decodeActivationStats(extra, index * stride + l * ACTIVATION_STATS_STRIDE),
      }));
    }
    if (m.nonFinite) this.watch.observe(step, segs, m.segmentNonFinite, m.loss);
    for (const l of this.listeners) l(metrics);
  }

  /** The first non-finite step, once the metrics have shown one; training stops there. */
  get failure(): TrainingError | null {
    return this.watch.error;
  }

  set failure(error: TrainingError | null) {
    this.watch.error = error;
  }

  /** `failure`, its claim that the parameters are those from before the step checked (one read, on failure only). */
  confirmedFailure(): Promise<TrainingError> {
    return this.watch.confirm(() => this.rt.readF32(this.ctx.buffers.params, this.layout.length));
  }

  /** The trainable parameters, read back by name. */
  async parameters(): Promise<TensorRecord> {
    this.guard.checkUsable();
    return readArena(this.rt, this.ctx.buffers.params, this.layout);
  }

  /** Non-trainable state (BatchNorm running averages), by name. */
  async state(): Promise<TensorRecord> {
    this.guard.checkUsable();
    return readArena(this.rt, this.ctx.buffers.stats, this.model.statsLayout);
  }

  /** The gradients of the last step, by name. */
  async gradients(): Promise<TensorRecord> {
    this.guard.checkUsable();
    return readArena(this.rt, this.ctx.buffers.grads, this.layout);
  }

  /** Optimizer state arenas (velocity, moments, ...), by slot then tensor name. */
  async optimizerState(): Promise<Record<string, TensorRecord>> {
    this.guard.checkUsable();
    const out: Record<string, TensorRecord> = {};
    for (const [slot, buf] of this.ctx.state) out[slot] = await readArena(this.rt, buf, this.layout);
    return out;
  }

  /**
   * Write optimizer state by slot and tensor name (every slot the optimizer keeps, every tensor), with the
   * optimizer's step count. Type, shape and finiteness of everything are checked before anything is written.
   */
  loadOptimizerState(record: Record<string, TensorRecord>, steps: number, options: { dryRun?: boolean } = {}): void {
    this.guard.checkIdle('loadOptimizerState()');
    const slots = new Map(this.optimizer.state.map((s) => [s, this.ctx.state.get(s)!]));
    const writes = stateWrites(record, slots, this.layout, this.optimizer.name);
    checkCount(steps, 'optimizer step count');
    if (options.dryRun) return;
    applyWrites(this.rt, writes);
    this.optimizerSteps = steps;
  }

  /**
   * Write parameters (and BatchNorm state) by name. Every name, shape, type (Float32Array) and value
   * (finite) is checked first; on any problem a CheckpointError is thrown and nothing is written. A whole model
   * is `{ ...(await net.parameters()), ...(await net.state()) }`; `partial` loads the tensors given, keeping the rest.
   */
  load(record: TensorRecord, options: { partial?: boolean; dryRun?: boolean } = {}): void {
    this.guard.checkIdle('load()');
    if (!options.partial) this.checkStatsGiven(record);
    const targets: [GPUBuffer, ArenaLayout][] = [
      [this.ctx.buffers.params, this.layout],
      [this.ctx.buffers.stats, this.model.statsLayout],
    ];
    const writes = recordWrites(record, targets, options.partial ?? false, 'load');
    if (!options.dryRun) applyWrites(this.rt, writes);
  }

  // parameters() leaves BatchNorm's running statistics out (they are not trained), so its record alone is not a
  // whole model: say what to pass rather than just naming the first missing tensor.
  private checkStatsGiven(record: unknown): void {
    if (typeof record !== 'object' || record === null) return;
    const missing = this.model.statsLayout.segments.filter((s) => !(s.name in record)).map((s) => `'${s.name}'`);
    if (missing.length === 0 || !this.layout.segments.every((s) => s.name in record)) return;
    throw new CheckpointError(
      `load: the record has every trainable parameter but not the running statistics ${missing.join(', ')}, which ` +
        'parameters() leaves out and state() returns: pass { ...(await net.parameters()), ...(await net.state()) }, ' +
        'or load(record, { partial: true }) to keep the statistics the network has now',
    );
  }

  /**
   * Set the step counters, as a checkpoint saved them: `steps` (what a fit's schedule counts from) and, when
   * given, the optimizer's (its bias corrections count from there). Metrics of steps in flight are dropped.
   */
  restoreSteps(steps: number, optimizerSteps?: number): void {
    this.guard.checkIdle('restoreSteps()');
    checkCount(steps, 'step count');
    if (optimizerSteps !== undefined) checkCount(optimizerSteps, 'optimizer step count');
    this.steps = this.completedSteps = steps;
    if (optimizerSteps !== undefined) this.optimizerSteps = optimizerSteps;
    this.ctx.ring.restart(steps);
  }

  private readonly stopFlag = { stop: false };

  /**
   * Train on a dataset: batch size 1 is stochastic gradient descent, the dataset size is full-batch gradient
   * descent, anything between is mini-batch. Resolves with per-epoch metrics once the last epoch's have arrived.
   * One fit at a time: a second one while this runs is a BusyError.
   */
  fit(ds: Dataset | TokenData, options: FitOptions = {}): Promise<FitResult> {
    return fit(this, ds, options, this.stopFlag);
  }

  /**
   * Back to the model's initial parameters and BatchNorm statistics, with fresh optimizer state and both step
   * counts at 0 (e.g. a demo's reset button). Waits for steps in flight first.
   */
  reset(): Promise<void> {
    return this.hold('reset()', async () => {
      await this.flush();
      const q = this.rt.device.queue;
      const [p, st] = [this.model.initialParameters(), this.model.initialStats()];
      q.writeBuffer(this.ctx.buffers.params, 0, p.buffer, p.byteOffset, p.byteLength);
      q.writeBuffer(this.ctx.buffers.stats, 0, st.buffer, st.byteOffset, st.byteLength);
      await this.switchOptimizer(this.optimizer, 'reset');
      this.failure = null;
      this.steps = 0;
      this.completedSteps = 0;
      this.ctx.ring.restart(0);
      q.writeBuffer(this.ctx.control, 0, new Uint32Array(1));
    });
  }

  /**
   * Run `fn` holding the network for `what` (a BusyError if another operation holds it). A non-finite stop
   * it ends with is checked against the parameters (confirmedFailure) before it is thrown.
   */
  async hold<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const release = this.guard.claim(what);
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TrainingError && e === this.failure) throw await this.confirmedFailure();
      throw e;
    } finally {
      release();
    }
  }

  /** Ask a running fit() to stop after the step in progress; it resolves with `stopped: true`. */
  stop(): void {
    this.stopFlag.stop = true;
  }

  /** Mean loss and accuracy over a dataset (BatchNorm in evaluation mode). */
  evaluate(ds: Dataset | TokenData, options: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    return evaluate(this, ds, options);
  }

  /** The model's outputs (logits for classification) for rows of x. */
  predict(x: Float32Array | Uint32Array | Int32Array, options: { batchSize?: number } = {}): Promise<Float32Array> {
    return predict(this, x, options);
  }

  private readonly decoder = new DecoderSlot();

  /**
   * Generate `options.tokens` new token ids after `prompt` with a GPT-style sequence model, decoding one token
   * per step with a key/value cache on the GPU (src/train/generate.ts); resolves with the new ids only.
   * Temperature 0 is greedy; a seed makes the draws repeatable. A BusyError during a fit.
   */
  generate(prompt: ArrayLike<number>, options: GenerateOptions): Promise<Uint32Array> {
    this.guard.checkUsable();
    const request = checkGenerate(this.model, prompt, options);
    return this.hold('generate()', () => this.decoder.run(this.rt, this.model, this.ctx.buffers.params, request));
  }

  /** Steps between metric read-backs (compile's metricsEvery). */
  get metricsEvery(): number {
    return this.ctx.ring.every;
  }

  /** The arenas a snapshot copies and a recovery writes back: parameters, running statistics, each optimizer slot. */
  arenas(): ArenaSource[] {
    const b = this.ctx.buffers;
    return [
      { name: 'parameters', buffer: b.params, layout: b.layout, optimizerSlot: false },
      { name: 'statistics', buffer: b.stats, layout: b.statsLayout, optimizerSlot: false },
      ...[...this.ctx.state].map(([name, buffer]) => ({ name, buffer, layout: b.layout, optimizerSlot: true })),
    ];
  }

  /**
   * After the runtime recovered a lost device: make the arenas, metrics ring and flags again on the new one
   * (plans are compiled again on first use) with the counters at `steps`; the caller then writes the arenas.
   */
  rebuildOnNewDevice(steps: number, optimizerSteps: number): void {
    const fresh = createContext(this.rt, this.model, { ...this.compiled, optimizer: this.ctx.optimizer });
    // The old plans' buffers went with the old device: nothing to free.
    this.plans.clear();
    Object.assign(this.ctx, fresh);
    this.ctx.ring.onMetrics(this.fromRing);
    this.guard.adopt();
    this.failure = null;
    this.steps = this.completedSteps = steps;
    this.optimizerSteps = optimizerSteps;
    this.ctx.ring.restart(steps);
  }

  /** Free every plan and arena; the runtime stays. A fit in progress rejects with DeviceError. */
  async destroy(): Promise<void> {
    if (this.guard.destroyed) return;
    this.guard.destroy();
    const c = this.ctx;
    c.ring.destroy(new DeviceError('this network was destroyed; compile a new one'));
    for (const p of this.plans.values()) (await p.catch(() => null))?.destroy();
    await this.decoder.destroy();
    for (const b of [c.buffers.params, c.buffers.grads, c.buffers.stats, c.segments, c.control, c.chunkOpts, ...c.state.values()]) {
      this.rt.buffers.free(b);
    }
  }
}

/** Put a model on the GPU for training: `const net = await compile(rt, model, { loss, optimizer })`. */
export function compile(rt: Runtime, model: Model, options: CompileOptions): Promise<Network> {
  return Network.compile(rt, model, options);
}
