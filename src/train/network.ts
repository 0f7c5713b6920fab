// A model compiled onto a runtime: its parameter, gradient and state arenas on the GPU, the step plans for
// each batch size it has met, and the metrics ring. Training loops live in fit.ts.
import { CheckpointError, OptionError, TrainingError } from '../core/errors.js';
import type { Runtime } from '../gpu/runtime.js';
import { decodeMetrics, metricsStride } from '../kernels/telemetry.js';
import type { Model } from '../nn/model.js';
import type { ArenaLayout } from '../nn/arena.js';
import { chunkOptions, type OptimizerDef } from '../optim/optimizer.js';
import { createState } from '../optim/update.js';
import { sgd } from '../optim/sgd.js';
import { MetricsRing } from '../scheduler/metrics.js';
import { StepPlan, type PlanContext } from '../scheduler/plan.js';
import type { LossKind } from '../core/losses.js';
import type { Dataset } from '../data/dataset.js';
import { evaluate, fit, predict, type FitOptions, type FitResult } from './fit.js';

export interface CompileOptions {
  /** 'cross_entropy' (softmax cross-entropy over class indices) or 'mse'. */
  loss: LossKind;
  /** Default: sgd({ lr: 0.01 }). Any of src/optim: sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, adamw, adamax, lion. */
  optimizer?: OptimizerDef;
  /** Steps between metric read-backs (K). Default 10. */
  metricsEvery?: number;
  /** Read-backs in flight before a step waits for the GPU. Default 3. */
  maxPendingReads?: number;
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
}

/** Named tensors, each a flat Float32Array with its shape. */
export type TensorRecord = Record<string, { shape: number[]; data: Float32Array }>;

export class Network {
  /** Steps taken so far. */
  steps = 0;
  /** Steps the GPU has finished, as far as the metrics that came back show (they come every `metricsEvery` steps). */
  completedSteps = 0;
  /** Steps of the current optimizer (its bias corrections count from here); reset with its state. */
  optimizerSteps = 0;
  /** The first non-finite step, once the metrics have shown one; training stops there. */
  failure: TrainingError | null = null;
  private readonly plans = new Map<string, Promise<StepPlan>>();
  private readonly listeners = new Set<(m: StepMetrics) => void>();
  private readonly batchSizes: Uint32Array;
  private destroyed = false;

  private constructor(
    readonly rt: Runtime,
    readonly model: Model,
    readonly loss: LossKind,
    private readonly ctx: PlanContext,
  ) {
    this.batchSizes = new Uint32Array(ctx.ring.slots);
    ctx.ring.onMetrics((first, data, count) => {
      for (let i = 0; i < count; i++) this.deliver(first + i, data, i);
    });
  }

  /** Put the model's initial parameters on the GPU and prepare everything a step needs. */
  static async compile(rt: Runtime, model: Model, options: CompileOptions): Promise<Network> {
    const { layout, statsLayout, graph } = model;
    const optimizer = options.optimizer ?? sgd({ lr: 0.01 });
    const every = options.metricsEvery ?? 10;
    const pending = options.maxPendingReads ?? 3;
    const params = rt.upload(model.initialParameters(), 'params');
    const grads = rt.buffers.create(layout.length * 4, { label: 'grads' });
    const stats = rt.upload(model.initialStats(), 'stats');
    const state = createState(rt, optimizer, layout.length);
    const segs = new Uint32Array(layout.segments.flatMap((s) => [s.offset, s.length]));
    const segments = rt.upload(segs, 'segments');
    const ring = new MetricsRing(rt, metricsStride(layout.segments.length), every, pending);
    const control = rt.buffers.create(4, { label: 'control' });
    const chunkOpts = rt.upload(chunkOptions(layout, optimizer), 'chunk-options');
    const ctx: PlanContext = {
      rt,
      graph,
      buffers: { params, grads, stats, layout, statsLayout },
      loss: options.loss,
      optimizer,
      state,
      segments,
      segmentCount: layout.segments.length,
      ring,
      control,
      chunkOpts,
    };
    return new Network(rt, model, options.loss, ctx);
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
    const mode = options.state ?? 'reset';
    const old = this.ctx.state;
    const n = this.layout.length;
    if (mode !== 'reset' && mode !== 'keep') throw new OptionError(`setOptimizer: state must be 'reset' or 'keep', got '${String(mode)}'`);
    const shared = optimizer.state.filter((s) => old.has(s));
    if (mode === 'keep' && optimizer.state.length > 0 && shared.length === 0) {
      throw new OptionError(
        `setOptimizer: ${optimizer.name} keeps ${optimizer.state.join(', ')} and ${this.optimizer.name} keeps ${[...old.keys()].join(', ') || 'nothing'}: ` +
          "no state to carry over; use state: 'reset'",
      );
    }
    const fresh = createState(this.rt, { ...optimizer, state: optimizer.state.filter((s) => mode === 'reset' || !old.has(s)) }, n);
    const next = new Map(optimizer.state.map((s) => [s, fresh.get(s) ?? old.get(s)!]));
    for (const [name, buf] of old) if (next.get(name) !== buf) this.rt.buffers.free(buf);
    this.ctx.state = next;
    this.ctx.optimizer = optimizer;
    const chunks = chunkOptions(this.layout, optimizer);
    this.rt.device.queue.writeBuffer(this.ctx.chunkOpts, 0, chunks.buffer, chunks.byteOffset, chunks.byteLength);
    if (mode === 'reset') this.optimizerSteps = 0;
    for (const [key, p] of this.plans) if (key.endsWith(':true')) await (await p).rebuildUpdate();
  }

  /** The compiled plan for a batch size (training or evaluation), made on first use and kept. */
  plan(batchSize: number, training: boolean): Promise<StepPlan> {
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
  async trainStep(plan: StepPlan, x: Float32Array | null, y: Float32Array | null, lr = this.optimizer.lr): Promise<void> {
    if (this.failure) throw this.failure;
    const step = this.steps;
    this.batchSizes[this.ctx.ring.slotOf(step)] = plan.batchSize;
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

  private deliver(step: number, data: Float32Array, index: number): void {
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
    if (m.nonFinite && !this.failure) {
      // Backpropagation reaches the output layer first: the last bad segment in arena order went bad first.
      const bad = segs.filter((_, i) => m.segmentNonFinite[i]! > 0).map((s) => s.name);
      const listed = bad.length > 6 ? `${bad.slice(-6).join(', ')} and ${bad.length - 6} more` : bad.join(', ');
      const where = bad.length
        ? `the gradient of '${bad[bad.length - 1]}' first went non-finite (non-finite: ${listed})`
        : `the loss went non-finite (${m.loss})`;
      this.failure = new TrainingError(
        `training stopped at step ${step}: ${where}. The parameters are those from before step ${step}; ` +
          'lower the learning rate or check the data, then call resume() to go on.',
        step,
      );
    }
    for (const l of this.listeners) l(metrics);
  }

  /** The trainable parameters, read back by name. */
  async parameters(): Promise<TensorRecord> {
    return readArena(this.rt, this.ctx.buffers.params, this.layout);
  }

  /** Non-trainable state (BatchNorm running averages), by name. */
  async state(): Promise<TensorRecord> {
    return readArena(this.rt, this.ctx.buffers.stats, this.model.statsLayout);
  }

  /** The gradients of the last step, by name. */
  async gradients(): Promise<TensorRecord> {
    return readArena(this.rt, this.ctx.buffers.grads, this.layout);
  }

  /** Optimizer state arenas (velocity, moments, ...), by slot then tensor name. */
  async optimizerState(): Promise<Record<string, TensorRecord>> {
    const out: Record<string, TensorRecord> = {};
    for (const [slot, buf] of this.ctx.state) out[slot] = await readArena(this.rt, buf, this.layout);
    return out;
  }

  /**
   * Write optimizer state by slot and tensor name (every slot the optimizer keeps, every tensor), with the
   * optimizer's step count. Checked whole before anything is written.
   */
  loadOptimizerState(record: Record<string, TensorRecord>, steps: number, options: { dryRun?: boolean } = {}): void {
    const writes: [GPUBuffer, number, Float32Array][] = [];
    for (const slot of this.optimizer.state) {
      const r = record[slot];
      if (!r) throw new CheckpointError(`checkpoint has no optimizer state '${slot}' for ${this.optimizer.name}`);
      for (const seg of this.layout.segments) {
        const t = r[seg.name];
        if (!t || t.data.length !== seg.length) {
          throw new CheckpointError(`optimizer state '${slot}.${seg.name}' is missing or not of shape [${seg.shape.join(', ')}]`);
        }
        writes.push([this.ctx.state.get(slot)!, seg.offset * 4, t.data]);
      }
    }
    if (!Number.isInteger(steps) || steps < 0) throw new CheckpointError(`optimizer step count must be a non-negative integer, got ${steps}`);
    if (options.dryRun) return;
    for (const [b, off, d] of writes) this.rt.device.queue.writeBuffer(b, off, d.buffer, d.byteOffset, d.byteLength);
    this.optimizerSteps = steps;
  }

  /**
   * Write parameters (and BatchNorm state) by name. Every name and shape is checked first; on any mismatch
   * a CheckpointError is thrown and nothing is written.
   */
  load(record: TensorRecord, options: { partial?: boolean; dryRun?: boolean } = {}): void {
    const targets: [GPUBuffer, ArenaLayout][] = [
      [this.ctx.buffers.params, this.layout],
      [this.ctx.buffers.stats, this.model.statsLayout],
    ];
    const writes: [GPUBuffer, number, Float32Array][] = [];
    const known = new Set<string>();
    for (const [buffer, layout] of targets) {
      for (const seg of layout.segments) {
        known.add(seg.name);
        const t = record[seg.name];
        if (!t) {
          if (options.partial) continue;
          throw new CheckpointError(`checkpoint has no tensor '${seg.name}' [${seg.shape.join(', ')}]`);
        }
        const same = t.shape.length === seg.shape.length && t.shape.every((d, i) => d === seg.shape[i]);
        if (!same || t.data.length !== seg.length) {
          throw new CheckpointError(
            `tensor '${seg.name}' has shape [${t.shape.join(', ')}] (${t.data.length} values) in the checkpoint; the model needs [${seg.shape.join(', ')}]`,
          );
        }
        writes.push([buffer, seg.offset * 4, t.data]);
      }
    }
    const extra = Object.keys(record).filter((k) => !known.has(k));
    if (extra.length && !options.partial) {
      throw new CheckpointError(`checkpoint has tensors the model does not: ${extra.join(', ')}`);
    }
    if (options.dryRun) return;
    for (const [buffer, offset, data] of writes) this.rt.device.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  private readonly stopFlag = { stop: false };

  /**
   * Train on a dataset: batch size 1 is stochastic gradient descent, the dataset size is full-batch gradient
   * descent, anything between is mini-batch. Resolves with per-epoch metrics once the last epoch's have arrived.
   */
  async fit(ds: Dataset, options: FitOptions = {}): Promise<FitResult> {
    this.stopFlag.stop = false;
    return fit(this, ds, options, this.stopFlag);
  }

  /**
   * Back to the model's initial parameters and BatchNorm statistics, with fresh optimizer state and both step
   * counts at 0 (e.g. a demo's reset button). Waits for steps in flight first.
   */
  async reset(): Promise<void> {
    await this.flush();
    const q = this.rt.device.queue;
    const [p, st] = [this.model.initialParameters(), this.model.initialStats()];
    q.writeBuffer(this.ctx.buffers.params, 0, p.buffer, p.byteOffset, p.byteLength);
    q.writeBuffer(this.ctx.buffers.stats, 0, st.buffer, st.byteOffset, st.byteLength);
    await this.setOptimizer(this.optimizer, { state: 'reset' });
    this.failure = null;
    this.steps = 0;
    this.completedSteps = 0;
    this.ctx.ring.restart(0);
    q.writeBuffer(this.ctx.control, 0, new Uint32Array(1));
  }

  /** Ask a running fit() to stop after the step in progress; it resolves with `stopped: true`. */
  stop(): void {
    this.stopFlag.stop = true;
  }

  /** Mean loss and accuracy over a dataset (BatchNorm in evaluation mode). */
  evaluate(ds: Dataset, options: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    return evaluate(this, ds, options);
  }

  /** The model's outputs (logits for classification) for rows of x. */
  predict(x: Float32Array, options: { batchSize?: number } = {}): Promise<Float32Array> {
    return predict(this, x, options);
  }

  /** Free every plan and arena; the runtime stays. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.plans.values()) (await p.catch(() => null))?.destroy();
    const c = this.ctx;
    for (const b of [c.buffers.params, c.buffers.grads, c.buffers.stats, c.segments, c.control, c.chunkOpts, ...c.state.values()]) {
      this.rt.buffers.free(b);
    }
    c.ring.destroy();
  }
}

/** Put a model on the GPU for training: `const net = await compile(rt, model, { loss, optimizer })`. */
export function compile(rt: Runtime, model: Model, options: CompileOptions): Promise<Network> {
  return Network.compile(rt, model, options);
}

async function readArena(rt: Runtime, buffer: GPUBuffer, layout: ArenaLayout): Promise<TensorRecord> {
  const all = await rt.readF32(buffer, layout.length);
  const out: TensorRecord = {};
  for (const s of layout.segments) out[s.name] = { shape: [...s.shape], data: all.slice(s.offset, s.offset + s.length) };
  return out;
}
