// Optimizer paths on a surface: run on the GPU by optimizeOnSurface, then cut where they diverge.
import { adadelta, adagrad, adam, adamw, lion, momentum, nesterov, optimizeOnSurface, rmsprop, sgd, type OptimizerDef, type Runtime } from '../../src/index.js';
import type { OptimizerId, SurfaceInfo } from './landscape-surfaces.js';

export type PathStatus = 'converged' | 'moving' | 'left the map' | 'diverged';

export interface PathResult {
  id: OptimizerId;
  lr: number;
  /** The momentum used, for the optimizers that take one. */
  momentum: number | null;
  /** (x, y, f) per step, the start first, as the GPU recorded them. */
  xy: Float32Array;
  steps: number;
  /** Points worth drawing: those before the path went non-finite or ran far off the map. */
  valid: number;
  status: PathStatus;
  startF: number;
  /** f at the last valid point. */
  finalF: number;
}

/** The optimizer for a path: its learning rate, and the momentum slider's value where it takes one. */
export function makeOptimizer(id: OptimizerId, lr: number, mu: number): OptimizerDef {
  switch (id) {
    case 'sgd':
      return sgd({ lr });
    case 'momentum':
      return momentum({ lr, momentum: mu });
    case 'nesterov':
      // Nesterov needs a positive momentum (PyTorch's rule); at 0 it is gradient descent anyway.
      return nesterov({ lr, momentum: Math.max(mu, 0.01) });
    case 'adagrad':
      return adagrad({ lr });
    case 'rmsprop':
      return rmsprop({ lr });
    case 'adam':
      return adam({ lr });
    case 'adadelta':
      return adadelta({ lr });
    case 'adamw':
      return adamw({ lr });
    case 'lion':
      return lion({ lr });
  }
}

/** How far outside the view (in view widths) a path may go before it counts as diverged. */
const FAR = 20;

/** Cut a recorded path where it diverges and classify how it ended. */
export function analysePath(s: SurfaceInfo, xy: Float32Array, steps: number): { valid: number; status: PathStatus; startF: number; finalF: number } {
  const [x0, x1] = s.x;
  const [y0, y1] = s.y;
  const w = x1 - x0;
  const h = y1 - y0;
  let valid = 0;
  for (let k = 0; k <= steps; k++) {
    const x = xy[3 * k]!;
    const y = xy[3 * k + 1]!;
    const f = xy[3 * k + 2]!;
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(f)) break;
    if (x < x0 - FAR * w || x > x1 + FAR * w || y < y0 - FAR * h || y > y1 + FAR * h) break;
    valid = k + 1;
  }
  const last = Math.max(0, valid - 1);
  const lx = xy[3 * last]!;
  const ly = xy[3 * last + 1]!;
  const startF = xy[2]!;
  const finalF = xy[3 * last + 2]!;
  let status: PathStatus;
  if (valid < steps + 1) status = 'diverged';
  else if (lx < x0 || lx > x1 || ly < y0 || ly > y1) status = 'left the map';
  else {
    // Still moving if the last tenth of the path covered more than 0.2% of the view.
    const back = Math.max(0, last - Math.ceil(steps / 10));
    const moved = Math.hypot(lx - xy[3 * back]!, ly - xy[3 * back + 1]!);
    status = moved > 0.002 * w ? 'moving' : 'converged';
  }
  return { valid, status, startF, finalF };
}

/** Run one optimizer from `start` for `steps` steps on the GPU, and analyse its path. */
export async function computePath(
  rt: Runtime,
  s: SurfaceInfo,
  id: OptimizerId,
  opts: { start: [number, number]; steps: number; lr: number; momentum: number; usesMomentum: boolean },
): Promise<PathResult> {
  const def = makeOptimizer(id, opts.lr, opts.momentum);
  const { xy } = await optimizeOnSurface(rt, def, s.name, { start: opts.start, steps: opts.steps, lr: opts.lr });
  return {
    id,
    lr: opts.lr,
    momentum: opts.usesMomentum ? opts.momentum : null,
    xy,
    steps: opts.steps,
    ...analysePath(s, xy, opts.steps),
  };
}
