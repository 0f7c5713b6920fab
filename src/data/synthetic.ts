// Seeded 2-D classification sets for the labs and the tests: small enough to train in seconds, hard
// enough (non-linear boundaries) that a model without a hidden layer visibly fails on them.
import { DataError } from '../core/errors.js';
import { Rng } from '../util/rng.js';
import type { Dataset } from './dataset.js';

/** Options shared by every 2-D generator. */
export interface SyntheticOptions {
  /** Total number of points, split as evenly as possible over the classes (or blobs). */
  n?: number;
  /** Gaussian noise; its meaning (radians or coordinates) is given per generator. */
  noise?: number;
  /** Same seed, same points, bit for bit. */
  seed?: number;
}

export interface SpiralOptions extends SyntheticOptions {
  classes?: number;
}

export interface CirclesOptions extends SyntheticOptions {
  /** Radius of the inner circle relative to the outer one, in (0, 1). */
  factor?: number;
}

const DEFAULT_SEED = 1;

/** Interleaved spiral arms, one per class (CS231n); `noise` (default 0.2) jitters the angle in radians. */
export function spiral(options: SpiralOptions = {}): Dataset {
  const { n = 300, classes = 3, noise = 0.2, seed = DEFAULT_SEED } = options;
  const name = `spiral(n=${n}, classes=${classes}, noise=${noise}, seed=${seed})`;
  if (!Number.isInteger(classes) || classes < 2) {
    throw new DataError(`${name}: classes must be an integer >= 2, got ${classes}`);
  }
  validate(name, n, noise, seed, classes, 'one point per class');
  const rng = new Rng(seed);
  const b = new Builder(n);
  for (let c = 0; c < classes; c++) {
    const m = share(n, classes, c);
    for (let i = 0; i < m; i++) {
      // Radius grows 0.05 -> 1 along the arm while the angle sweeps 4 radians; arms start 4 radians apart.
      // Starting off the origin keeps the arms' first points apart: at (0, 0) three labels would coincide.
      const f = m === 1 ? 0 : i / (m - 1);
      const r = 0.05 + 0.95 * f;
      const t = 4 * (c + f) + noise * rng.normal();
      b.push(r * Math.sin(t), r * Math.cos(t), c);
    }
  }
  return b.finish(name, classes, rng);
}

/** Two interleaving half circles (as scikit-learn's make_moons); `noise` (default 0.1) is the coordinate std. */
export function moons(options: SyntheticOptions = {}): Dataset {
  const { n = 200, noise = 0.1, seed = DEFAULT_SEED } = options;
  const name = `moons(n=${n}, noise=${noise}, seed=${seed})`;
  validate(name, n, noise, seed, 2, 'one point per moon');
  const rng = new Rng(seed);
  const b = new Builder(n);
  for (let c = 0; c < 2; c++) {
    const m = share(n, 2, c);
    for (let i = 0; i < m; i++) {
      const t = Math.PI * (m === 1 ? 0 : i / (m - 1));
      // The lower moon is the upper one flipped and shifted so each pokes into the other's hollow.
      const x0 = c === 0 ? Math.cos(t) : 1 - Math.cos(t);
      const x1 = c === 0 ? Math.sin(t) : 0.5 - Math.sin(t);
      b.push(x0 + noise * rng.normal(), x1 + noise * rng.normal(), c);
    }
  }
  return b.finish(name, 2, rng);
}

/** Two concentric circles, class 0 outside (radius 1) and class 1 inside; `noise` (default 0.05) is the coordinate std. */
export function circles(options: CirclesOptions = {}): Dataset {
  const { n = 200, noise = 0.05, seed = DEFAULT_SEED, factor = 0.5 } = options;
  const name = `circles(n=${n}, noise=${noise}, factor=${factor}, seed=${seed})`;
  if (!(factor > 0 && factor < 1)) throw new DataError(`${name}: factor must be in (0, 1), got ${factor}`);
  validate(name, n, noise, seed, 2, 'one point per circle');
  const rng = new Rng(seed);
  const b = new Builder(n);
  for (let c = 0; c < 2; c++) {
    const m = share(n, 2, c);
    const r = c === 0 ? 1 : factor;
    for (let i = 0; i < m; i++) {
      const t = (2 * Math.PI * i) / m;
      b.push(r * Math.cos(t) + noise * rng.normal(), r * Math.sin(t) + noise * rng.normal(), c);
    }
  }
  return b.finish(name, 2, rng);
}

/** Four Gaussian blobs centred at (±1, ±1): class 1 where the signs differ (XOR); `noise` (default 0.3) is the blob std. */
export function xor(options: SyntheticOptions = {}): Dataset {
  const { n = 200, noise = 0.3, seed = DEFAULT_SEED } = options;
  const name = `xor(n=${n}, noise=${noise}, seed=${seed})`;
  validate(name, n, noise, seed, 4, 'one point per blob');
  const rng = new Rng(seed);
  const b = new Builder(n);
  // Blob order alternates classes so that when n is odd the extra point does not tip the balance.
  const centres: [number, number, number][] = [
    [1, 1, 0],
    [1, -1, 1],
    [-1, -1, 0],
    [-1, 1, 1],
  ];
  centres.forEach(([cx, cy, label], k) => {
    const m = share(n, 4, k);
    for (let i = 0; i < m; i++) b.push(cx + noise * rng.normal(), cy + noise * rng.normal(), label);
  });
  return b.finish(name, 2, rng);
}

function validate(name: string, n: number, noise: number, seed: number, minN: number, why: string): void {
  if (!Number.isInteger(n) || n < minN) throw new DataError(`${name}: n must be an integer >= ${minN} (${why}), got ${n}`);
  if (!(noise >= 0 && Number.isFinite(noise))) {
    throw new DataError(`${name}: noise must be a finite number >= 0, got ${noise}`);
  }
  if (!Number.isInteger(seed)) throw new DataError(`${name}: seed must be an integer, got ${seed}`);
}

/** How many of n points group k of `groups` gets: an even split, the remainder going to the first groups. */
function share(n: number, groups: number, k: number): number {
  return Math.floor(n / groups) + (k < n % groups ? 1 : 0);
}

/** Collects points grouped by class, then shuffles them so that any prefix or mini-batch mixes the classes. */
class Builder {
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private count = 0;

  constructor(private readonly n: number) {
    this.x = new Float32Array(2 * n);
    this.y = new Float32Array(n);
  }

  push(x0: number, x1: number, label: number): void {
    this.x[2 * this.count] = x0;
    this.x[2 * this.count + 1] = x1;
    this.y[this.count] = label;
    this.count++;
  }

  finish(name: string, classes: number, rng: Rng): Dataset {
    const { x, y, n } = this;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [x[2 * i], x[2 * j]] = [x[2 * j]!, x[2 * i]!];
      [x[2 * i + 1], x[2 * j + 1]] = [x[2 * j + 1]!, x[2 * i + 1]!];
      [y[i], y[j]] = [y[j]!, y[i]!];
    }
    return { name, x, y, n, inputDim: 2, task: 'classification', classes, outputDim: classes };
  }
}
