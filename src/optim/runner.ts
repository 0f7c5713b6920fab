// An optimizer's update on its own, outside a model: gradients come from the caller (or from a kernel that
// computes them on the GPU), one dispatch per step. For tests against the reference, benchmarks of the
// update, and paths on 2-D loss surfaces.
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { ArenaLayout } from '../nn/arena.js';
import { chunkOptions, type OptimizerDef } from './optimizer.js';
import { createState, prepareUpdate, setUpdateStep } from './update.js';

/** metrics layout here: [0] non-finite flag (always 0), [1] the gradient's global L2 norm (for clipping). */
export const RUNNER_NORM_INDEX = 1;
const FLAG = 0;
const NORM = 1;

export class UpdateRunner {
  /** Steps taken (the next step is steps + 1). */
  steps = 0;

  private constructor(
    readonly rt: Runtime,
    readonly optimizer: OptimizerDef,
    readonly layout: ArenaLayout,
    readonly params: GPUBuffer,
    readonly grads: GPUBuffer,
    readonly metrics: GPUBuffer,
    readonly state: Map<string, GPUBuffer>,
    readonly update: Dispatch,
    private readonly owned: GPUBuffer[],
  ) {}

  /** Buffers for `layout` holding `params` (length layout.length), the optimizer's state, and its update dispatch. */
  static async create(rt: Runtime, layout: ArenaLayout, optimizer: OptimizerDef, params: Float32Array): Promise<UpdateRunner> {
    const n = layout.length;
    const theta = rt.upload(params, 'runner:params');
    const grads = rt.buffers.create(n * 4, { label: 'runner:grads' });
    const metrics = rt.buffers.create(16, { label: 'runner:metrics' });
    const control = rt.buffers.create(4, { label: 'runner:control' });
    const chunkOpts = rt.upload(chunkOptions(layout, optimizer), 'runner:chunk-options');
    const state = createState(rt, optimizer, n);
    const update = await prepareUpdate(rt, optimizer, { params: theta, grads, metrics, control, chunkOpts, state, length: n });
    return new UpdateRunner(rt, optimizer, layout, theta, grads, metrics, state, update, [theta, grads, metrics, control, chunkOpts, ...state.values()]);
  }

  /** Upload a gradient (and its global L2 norm, which clipping reads). */
  setGradient(grad: Float32Array): void {
    let sq = 0;
    for (const g of grad) sq += g * g;
    const q = this.rt.device.queue;
    q.writeBuffer(this.grads, 0, grad.buffer, grad.byteOffset, grad.byteLength);
    q.writeBuffer(this.metrics, NORM * 4, Float32Array.of(Math.sqrt(sq)));
  }

  /** Encode one step's update after `before` (e.g. a dispatch that computes the gradient), and submit. */
  step(lr = this.optimizer.lr, before: readonly Dispatch[] = [], after: readonly Dispatch[] = []): void {
    // A rate that is no f32 throws here, before the step is counted or anything is submitted.
    setUpdateStep(this.update, { step: this.steps + 1, lr }, FLAG, NORM);
    this.steps++;
    this.rt.run([...before, this.update, ...after], `update ${this.steps}`);
  }

  /** The parameters and every state slot, read back. */
  async read(): Promise<{ params: Float32Array; state: Record<string, Float32Array> }> {
    const n = this.layout.length;
    const params = await this.rt.readF32(this.params, n);
    const state: Record<string, Float32Array> = {};
    for (const [name, buf] of this.state) state[name] = await this.rt.readF32(buf, n);
    return { params, state };
  }

  destroy(): void {
    this.rt.release(this.update);
    for (const b of this.owned) this.rt.buffers.free(b);
  }
}
