// The StepPlan: a model compiled for one batch size. Training: forward -> loss -> backward -> telemetry
// -> update -> BatchNorm statistics commit, as one compute pass in one command buffer per step. Evaluation:
// forward -> loss only.
import type { AttentionChoice } from '../kernels/attention-composed.js';
import { DeviceError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { METRIC, prepareTelemetry } from '../kernels/telemetry.js';
import type { Graph } from '../nn/graph.js';
import type { OptimizerDef, StepInfo } from '../optim/optimizer.js';
import { prepareUpdate, setUpdateStep } from '../optim/update.js';
import type { MetricsRing } from './metrics.js';
import { Program } from './program.js';
import { activationLayers, statsLabel } from './lower-stats.js';
import { setActivationStatsSlot } from '../kernels/activation-stats.js';
import { checkSequenceLowering, TokenFeed } from './lower-sequence.js';
import { rowsOf } from '../nn/sequence-layers.js';
import { act, lowerBackward, lowerForward, lowerLoss, lowerStatsCommit, type LossKind, type ModelBuffers } from './lower.js';

/** What a plan shares with the network that owns it. */
export interface PlanContext {
  rt: Runtime;
  graph: Graph;
  buffers: ModelBuffers;
  loss: LossKind;
  optimizer: OptimizerDef;
  /** Optimizer state arenas by slot name. */
  state: Map<string, GPUBuffer>;
  /** [offset, length] pairs of the gradient arena's segments, as u32. */
  segments: GPUBuffer;
  segmentCount: number;
  ring: MetricsRing;
  /** Sticky halt flag shared by every update. */
  control: GPUBuffer;
  /** Per-64-element (lr multiplier, weight decay) table of the optimizer's per-tensor options. */
  chunkOpts: GPUBuffer;
  /** Activation telemetry: training plans measure every activation layer into the ring's second section. */
  activationStats?: boolean;
  /** How attention nodes run: 'auto' (the default), 'fused' or 'composed'. */
  attention?: AttentionChoice;
}

/** A model compiled for one batch size: every buffer, bind group and dispatch of a step, prepared once. */
export class StepPlan {
  private destroyed = false;
  /** The runtime's device it was compiled on (Runtime.generation): a recovered runtime's new device has none of its buffers. */
  private generation = 0;

  private constructor(
    readonly batchSize: number,
    readonly training: boolean,
    readonly input: Tensor,
    readonly target: Tensor,
    readonly loss: Tensor,
    readonly correct: Tensor,
    readonly output: Tensor,
    readonly dispatches: Dispatch[],
    private readonly telemetry: Dispatch[],
    /** Activation telemetry, one per activation layer; empty when off. */
    private readonly activationStats: Dispatch[],
    private update: Dispatch | null,
    private readonly owned: GPUBuffer[],
    /** Bytes of the transient tensors after sharing, and what they would take unshared. */
    readonly transientBytes: number,
    readonly unsharedBytes: number,
    private readonly ctx: PlanContext,
    /** A sequence model's ids on their way in (u32, with the embedding's index); null for float inputs. */
    private readonly feed: TokenFeed | null = null,
  ) {}

  /** Compile the model for `batchSize` rows: every buffer, bind group and dispatch, once. */
  static async compile(ctx: PlanContext, batchSize: number, training: boolean): Promise<StepPlan> {
    const { rt, graph } = ctx;
    const generation = rt.generation;
    const B = batchSize;
    checkSequenceLowering(graph);
    // A sequence model predicts every position: B*T rows of loss, each with a class label.
    const rows = B * rowsOf(graph.output.shape);
    const targetShape = ctx.loss === 'cross_entropy' ? [rows] : [B, graph.outputDim];
    const input = Tensor.zeros(rt, [B, graph.inputDim], `batch-x[${B}]`);
    const target = Tensor.zeros(rt, targetShape, `batch-y[${B}]`);
    const loss = Tensor.zeros(rt, [rows], `loss[${rows}]`);
    const correct = Tensor.zeros(rt, [rows], `correct[${rows}]`);
    const p = new Program();
    p.persistent(act(0), input);
    const feed = graph.tokens === null ? null : new TokenFeed(rt, graph, B * graph.tokens);
    feed?.declare(p);
    const keys = { target: p.persistent('target', target), loss: p.persistent('loss', loss), correct: p.persistent('correct', correct) };
    const ring = ctx.ring;
    // The whole ring, both sections: the activation records live past the first section's slots.
    const stats =
      training && ctx.activationStats
        ? {
            metrics: p.persistent('metrics:all', new Tensor(rt, ring.buffer, [ring.slots * (ring.stride + ring.extraStride)], 'metrics', 0, false)),
            base: ring.extraBase,
            slots: ring.slots,
          }
        : undefined;
    lowerForward(rt, p, graph, ctx.buffers, B, training, stats, ctx.attention);
    lowerLoss(rt, p, graph, ctx.loss, B, keys);
    let telemetryLabel: string | null = null;
    let update: Dispatch | null = null;
    if (training) {
      lowerBackward(rt, p, graph, ctx.buffers, B, stats !== undefined, ctx.attention);
      const grads = p.persistent('grads', new Tensor(rt, ctx.buffers.grads, [ctx.buffers.layout.length], 'grads', 0, false));
      const metrics = p.persistent('metrics', new Tensor(rt, ctx.ring.buffer, [ctx.ring.slots * ctx.ring.stride], 'metrics', 0, false));
      telemetryLabel = 'telemetry';
      p.push({
        label: telemetryLabel,
        reads: [grads, keys.loss, keys.correct],
        writes: [metrics],
        make: (t) =>
          prepareTelemetry(
            rt,
            {
              grads: t(grads),
              segments: ctx.segments,
              loss: t(keys.loss),
              // MSE has no accuracy: without `correct` the slot's accuracy is NaN rather than a misleading 0.
              correct: ctx.loss === 'cross_entropy' ? t(keys.correct) : undefined,
              metrics: t(metrics),
            },
            { segmentCount: ctx.segmentCount, slot: 0 },
          ),
      });
      // The update is an op of the program so that BatchNorm's commits can follow it and read the halt flag it sets.
      p.push({ label: 'update', reads: [grads, metrics], writes: [], make: () => updateFor(ctx) });
      lowerStatsCommit(rt, p, graph, ctx.buffers, p.persistent('control', new Tensor(rt, ctx.control, [1], 'control', 0, false)));
    }
    const compiled = await p.compile(rt, `plan[${B}]${training ? '' : ':eval'}`);
    const dispatches = compiled.dispatches;
    if (training) update = compiled.byLabel.get('update')![0]!;
    const output = compiled.tensors.get(act(graph.output.id))!;
    const plan = new StepPlan(
      B,
      training,
      input,
      target,
      loss,
      correct,
      output,
      dispatches,
      telemetryLabel ? compiled.byLabel.get(telemetryLabel)! : [],
      stats ? activationLayers(graph).flatMap((n) => compiled.byLabel.get(statsLabel(n)) ?? []) : [],
      update,
      [input.buffer, target.buffer, loss.buffer, correct.buffer, ...(feed?.buffers ?? []), ...compiled.buffers],
      compiled.transientBytes,
      compiled.unsharedBytes,
      ctx,
      feed,
    );
    plan.generation = generation;
    return plan;
  }

  /** Dispatches one step encodes. */
  get dispatchCount(): number {
    return this.dispatches.length;
  }

  /**
   * One step: write the batch (omit x / y to keep what the buffers hold), set this step's uniforms, encode
   * every dispatch into one compute pass, and submit. Returns once submitted; never waits for the GPU
   * unless the metrics ring has no free staging buffer. A sequence model's ids (and labels) may be integer
   * arrays; they are checked (a DataError names an id outside the vocabulary) before anything is written.
   */
  async step(
    x: Float32Array | Uint32Array | Int32Array | null,
    y: Float32Array | Uint32Array | Int32Array | null,
    info: StepInfo,
    stepIndex: number,
  ): Promise<void> {
    const { rt, ring } = this.ctx;
    const queue = rt.device.queue;
    this.checkUsable();
    if (this.training) {
      await ring.reserve(stepIndex);
      // The wait may have outlived the device or this plan.
      this.checkUsable();
    }
    const g = this.ctx.graph;
    if (this.feed) y = y && this.feed.labelsOf(y, g.output.shape[g.output.shape.length - 1]!);
    if (x && this.feed) this.feed.writeIds(this.input.buffer, x, g.tokens!);
    else if (x) queue.writeBuffer(this.input.buffer, 0, x.buffer, x.byteOffset, this.input.size * 4);
    if (y) queue.writeBuffer(this.target.buffer, 0, y.buffer, y.byteOffset, this.target.size * 4);
    const slot = ring.slotOf(stepIndex);
    for (const d of this.telemetry) d.setUniforms('params', { slot });
    for (const d of this.activationStats) setActivationStatsSlot(d, slot);
    if (this.update) setUpdateStep(this.update, info, slot * ring.stride + METRIC.nonFinite, slot * ring.stride + METRIC.gradNorm);
    const enc = rt.device.createCommandEncoder({ label: `step ${stepIndex}` });
    const pass = enc.beginComputePass();
    for (const d of this.dispatches) d.encode(pass);
    pass.end();
    const afterSubmit = this.training ? ring.encodeRead(enc, stepIndex) : null;
    queue.submit([enc.finish()]);
    afterSubmit?.();
  }

  /** Make the update dispatch again, for the context's current optimizer. */
  async rebuildUpdate(): Promise<void> {
    if (!this.update) return;
    const next = await updateFor(this.ctx);
    const i = this.dispatches.indexOf(this.update);
    this.ctx.rt.release(this.update);
    this.dispatches[i] = next;
    this.update = next;
  }

  /** Flag tests only (no GPU round trip): a destroyed plan or runtime, or a lost device, is a DeviceError. */
  private checkUsable(): void {
    if (this.destroyed) throw new DeviceError('this step plan was destroyed (with its network); compile the network again');
    this.ctx.rt.checkAlive();
    if (this.generation !== this.ctx.rt.generation) {
      throw new DeviceError('this step plan was compiled on a GPU device that was lost and replaced; ask the network for its plan again (net.plan)');
    }
  }

  /** Free what this plan made (the shared arenas stay). */
  destroy(): void {
    this.destroyed = true;
    for (const d of this.dispatches) this.ctx.rt.release(d);
    for (const b of this.owned) this.ctx.rt.buffers.free(b);
  }
}

function updateFor(ctx: PlanContext): Promise<Dispatch> {
  const b = ctx.buffers;
  return prepareUpdate(ctx.rt, ctx.optimizer, {
    params: b.params,
    grads: b.grads,
    metrics: ctx.ring.buffer,
    control: ctx.control,
    chunkOpts: ctx.chunkOpts,
    state: ctx.state,
    length: b.layout.length,
  });
}
