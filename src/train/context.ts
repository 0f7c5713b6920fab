// What a network's plans share on the GPU (arenas, optimizer state, metrics ring, control flag), made once at
// compile, and the optimizer swap that replaces its state arenas.
import type { CompileOptions } from './network.js';
import { OptionError } from '../core/errors.js';
import type { Runtime } from '../gpu/runtime.js';
import { metricsStride } from '../kernels/telemetry.js';
import type { Model } from '../nn/model.js';
import { chunkOptions, type OptimizerDef } from '../optim/optimizer.js';
import { sgd } from '../optim/sgd.js';
import { createState } from '../optim/update.js';
import { MetricsRing } from '../scheduler/metrics.js';
import type { PlanContext } from '../scheduler/plan.js';
import { activationSectionStride } from '../scheduler/lower-stats.js';

/** Every buffer of a compiled network, from options already checked. */
export function createContext(rt: Runtime, model: Model, options: CompileOptions): PlanContext {
  const { layout, statsLayout, graph } = model;
  const optimizer = options.optimizer ?? sgd({ lr: 0.01 });
  const params = rt.upload(model.initialParameters(), 'params');
  const grads = rt.buffers.create(layout.length * 4, { label: 'grads' });
  const stats = rt.upload(model.initialStats(), 'stats');
  const segs = new Uint32Array(layout.segments.flatMap((s) => [s.offset, s.length]));
  return {
    rt,
    graph,
    buffers: { params, grads, stats, layout, statsLayout },
    loss: options.loss,
    optimizer,
    state: createState(rt, optimizer, layout.length),
    segments: rt.upload(segs, 'segments'),
    segmentCount: layout.segments.length,
    ring: new MetricsRing(
      rt,
      metricsStride(layout.segments.length),
      options.metricsEvery ?? 10,
      options.maxPendingReads ?? 3,
      options.activationStats ? activationSectionStride(graph) : 0,
    ),
    activationStats: options.activationStats ?? false,
    attention: options.attention ?? 'auto',
    control: rt.buffers.create(4, { label: 'control' }),
    chunkOpts: rt.upload(chunkOptions(layout, optimizer), 'chunk-options'),
  };
}

/**
 * Put `optimizer` in the context: 'reset' gives it fresh state arenas, 'keep' carries over the slots both
 * optimizers keep (an OptionError when they share none). The plans' update dispatches must be rebuilt after.
 */
export function swapOptimizer(ctx: PlanContext, optimizer: OptimizerDef, mode: 'reset' | 'keep'): void {
  const old = ctx.state;
  if (mode !== 'reset' && mode !== 'keep') throw new OptionError(`setOptimizer: state must be 'reset' or 'keep', got '${String(mode)}'`);
  const shared = optimizer.state.filter((s) => old.has(s));
  if (mode === 'keep' && optimizer.state.length > 0 && shared.length === 0) {
    throw new OptionError(
      `setOptimizer: ${optimizer.name} keeps ${optimizer.state.join(', ')} and ${ctx.optimizer.name} keeps ${[...old.keys()].join(', ') || 'nothing'}: ` +
        "no state to carry over; use state: 'reset'",
    );
  }
  const layout = ctx.buffers.layout;
  const fresh = createState(ctx.rt, { ...optimizer, state: optimizer.state.filter((s) => mode === 'reset' || !old.has(s)) }, layout.length);
  const next = new Map(optimizer.state.map((s) => [s, fresh.get(s) ?? old.get(s)!]));
  for (const [name, buf] of old) if (next.get(name) !== buf) ctx.rt.buffers.free(buf);
  ctx.state = next;
  ctx.optimizer = optimizer;
  const chunks = chunkOptions(layout, optimizer);
  ctx.rt.device.queue.writeBuffer(ctx.chunkOpts, 0, chunks.buffer, chunks.byteOffset, chunks.byteLength);
}
