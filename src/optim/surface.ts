// Optimizers on two-parameter loss surfaces, entirely on the GPU: each step computes the gradient, applies
// the update and appends the point to a path, with no read-back until the end. The CPU twin runs the
// optimizer's reference on the reference surface.
import type { Runtime } from '../gpu/runtime.js';
import { ArenaLayout } from '../nn/arena.js';
import { SURFACE_NAMES, surfaceGradient, surfaceValue, type SurfaceName } from '../reference/surface.js';
import { elementOptions, referenceState, referenceUpdate, type OptimizerDef } from './optimizer.js';
import { UpdateRunner } from './runner.js';
import type { Schedule } from './schedules.js';

export { SURFACE_NAMES, type SurfaceName };

/** The parameters as one 2-element tensor; role 'bias' keeps default weight decay off, as on a plain function. */
const LAYOUT = new ArenaLayout([{ name: 'xy', shape: [2], role: 'bias' }]);

/** Points visited: (x, y, f) per step, the start first. */
export interface SurfacePath {
  xy: Float32Array;
  steps: number;
}

const lrAt = (lr: number | Schedule | undefined, def: OptimizerDef, step: number) => (lr === undefined ? def.lr : typeof lr === 'number' ? lr : lr(step));

/** Run `steps` steps of the optimizer on a surface from `start`, on the GPU; one submit per step. */
export async function optimizeOnSurface(
  rt: Runtime,
  def: OptimizerDef,
  surface: SurfaceName,
  options: { start: [number, number]; steps: number; lr?: number | Schedule },
): Promise<SurfacePath> {
  const params = new Float32Array(LAYOUT.length);
  params.set(options.start);
  const runner = await UpdateRunner.create(rt, LAYOUT, def, params);
  const path = rt.buffers.create((options.steps + 1) * 3 * 4, { label: 'surface:path' });
  const counter = rt.buffers.create(4, { label: 'surface:counter' });
  const constants = { SURFACE: SURFACE_NAMES.indexOf(surface) };
  const [gk, rk] = await Promise.all([rt.kernel('surface', { entry: 'gradient', constants }), rt.kernel('surface', { entry: 'record', constants })]);
  const gradient = rt.prepare(gk, { buffers: { theta: { buffer: runner.params, size: 8 }, grad: runner.grads, metrics: runner.metrics }, workgroups: [1] });
  const record = rt.prepare(rk, { buffers: { theta: { buffer: runner.params, size: 8 }, path, counter }, workgroups: [1] });
  try {
    rt.run([record]);
    for (let s = 1; s <= options.steps; s++) {
      runner.step(lrAt(options.lr, def, s), [gradient], [record]);
    }
    const xy = await rt.readF32(path, (options.steps + 1) * 3);
    return { xy, steps: options.steps };
  } finally {
    rt.release(gradient);
    rt.release(record);
    rt.buffers.free(path);
    rt.buffers.free(counter);
    runner.destroy();
  }
}

/** The same run with the optimizer's CPU reference on the reference surface. */
export function optimizeOnSurfaceReference(
  def: OptimizerDef,
  surface: SurfaceName,
  options: { start: [number, number]; steps: number; lr?: number | Schedule },
): SurfacePath {
  const theta = new Float32Array(LAYOUT.length);
  theta.set(options.start);
  const state = referenceState(def, LAYOUT.length);
  const per = elementOptions(LAYOUT, def);
  const xy = new Float32Array((options.steps + 1) * 3);
  const put = (k: number) => xy.set([theta[0]!, theta[1]!, surfaceValue(surface, theta[0]!, theta[1]!)], 3 * k);
  put(0);
  const grad = new Float32Array(LAYOUT.length);
  for (let s = 1; s <= options.steps; s++) {
    grad.set(surfaceGradient(surface, theta[0]!, theta[1]!));
    referenceUpdate(def, theta, grad, state, per, s, lrAt(options.lr, def, s));
    put(s);
  }
  return { xy, steps: options.steps };
}

/** Distance of a path's last point from (x, y). */
export function finalDistance(p: SurfacePath, to: [number, number]): number {
  const k = p.steps * 3;
  return Math.hypot(p.xy[k]! - to[0], p.xy[k + 1]! - to[1]);
}
