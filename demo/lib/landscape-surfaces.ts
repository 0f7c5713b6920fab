// What the loss-landscape lab knows about each surface and optimizer: the view, the minima, a start point
// that tells a story, and learning rates that behave sensibly at the slider's ×1 (found by running each
// optimizer's CPU reference from the default start).
import type { SurfaceName } from '../../src/index.js';

export type OptimizerId = 'sgd' | 'momentum' | 'nesterov' | 'adagrad' | 'rmsprop' | 'adam' | 'adadelta' | 'adamw' | 'lion';

export interface OptimizerInfo {
  id: OptimizerId;
  label: string;
  color: string;
  /** Takes the momentum slider's value. */
  usesMomentum: boolean;
  /** Checked when the page opens. */
  defaultOn: boolean;
}

export const OPTIMIZER_INFO: readonly OptimizerInfo[] = [
  { id: 'sgd', label: 'Gradient descent', color: '#ff4b4b', usesMomentum: false, defaultOn: true },
  { id: 'momentum', label: 'Momentum', color: '#ffa033', usesMomentum: true, defaultOn: true },
  { id: 'nesterov', label: 'Nesterov', color: '#ffe14d', usesMomentum: true, defaultOn: false },
  { id: 'adagrad', label: 'Adagrad', color: '#5ee07a', usesMomentum: false, defaultOn: false },
  { id: 'rmsprop', label: 'RMSProp', color: '#ff5fd2', usesMomentum: false, defaultOn: true },
  { id: 'adam', label: 'Adam', color: '#ffffff', usesMomentum: false, defaultOn: true },
  { id: 'adadelta', label: 'AdaDelta', color: '#c5a3ff', usesMomentum: false, defaultOn: false },
  { id: 'adamw', label: 'AdamW', color: '#9be7ff', usesMomentum: false, defaultOn: false },
  { id: 'lion', label: 'Lion', color: '#b8ff3d', usesMomentum: false, defaultOn: false },
];

export interface SurfaceInfo {
  name: SurfaceName;
  title: string;
  formula: string;
  /** The square view, [lo, hi] on each axis. */
  x: [number, number];
  y: [number, number];
  minima: [number, number][];
  /** Where the page starts the paths, and how many steps by default. */
  start: [number, number];
  steps: number;
  /** Contour levels: log10(f + delta) (f ≥ 0 here), or a signed log for surfaces that go below zero. */
  delta: number;
  signed: boolean;
  /** Learning rate of each optimizer at the slider's ×1. */
  lr: Record<OptimizerId, number>;
  /** What this surface shows, one or two sentences. */
  note: string;
}

export const SURFACES: Record<SurfaceName, SurfaceInfo> = {
  rosenbrock: {
    name: 'rosenbrock',
    title: 'Rosenbrock — a curved, ill-conditioned valley',
    formula: 'f = (1 − x)² + 100 (y − x²)²',
    x: [-2, 2],
    y: [-1, 3],
    minima: [[1, 1]],
    start: [-1.5, 2],
    steps: 500,
    delta: 0.01,
    signed: false,
    lr: { sgd: 1e-3, momentum: 1e-3, nesterov: 1e-3, adagrad: 0.5, rmsprop: 0.01, adam: 0.1, adadelta: 1, adamw: 0.1, lion: 0.01 },
    note:
      'Every method drops into the valley at once; then its floor is nearly flat and curved. Gradient descent crawls along it ' +
      'and momentum builds up speed there. RMSProp and Adam move each coordinate by about lr per step whatever the slope: ' +
      'raise their rate to go faster, and they rattle across the valley. The minimum is at (1, 1).',
  },
  bowl: {
    name: 'bowl',
    title: 'Bowl x² + 10y² — one axis 10× steeper',
    formula: 'f = x² + 10 y²',
    x: [-4, 4],
    y: [-4, 4],
    minima: [[0, 0]],
    start: [-3.5, 2.5],
    steps: 150,
    delta: 0.01,
    signed: false,
    lr: { sgd: 0.08, momentum: 0.02, nesterov: 0.02, adagrad: 0.3, rmsprop: 0.03, adam: 0.1, adadelta: 3, adamw: 0.1, lion: 0.03 },
    note:
      'The gradient along y is 10× the one along x, so a single learning rate zig-zags across y while crawling along x. ' +
      'Above ×1.25 (lr 0.1) gradient descent diverges along y. The adaptive methods scale each coordinate by its own gradient history, so both coordinates move at about the same speed and nothing zig-zags.',
  },
  saddle: {
    name: 'saddle',
    title: 'Saddle x² − y² — no minimum at all',
    formula: 'f = x² − y²',
    x: [-2, 2],
    y: [-2, 2],
    minima: [],
    start: [-1.8, 0.05],
    steps: 300,
    delta: 0.05,
    signed: true,
    lr: { sgd: 0.01, momentum: 1e-3, nesterov: 1e-3, adagrad: 0.03, rmsprop: 3e-3, adam: 3e-3, adadelta: 0.3, adamw: 3e-3, lion: 3e-3 },
    note:
      'Starting almost on the ridge (y ≈ 0), the gradient along y is tiny, so gradient descent lingers near the saddle point at (0, 0); ' +
      'the adaptive methods divide by that small gradient and escape at once. Every path ends by running off the map: f has no minimum.',
  },
  beale: {
    name: 'beale',
    title: 'Beale — steep walls and flat valleys',
    formula: 'f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²',
    x: [-4.5, 4.5],
    y: [-4.5, 4.5],
    minima: [[3, 0.5]],
    start: [2, 2],
    steps: 400,
    delta: 0.1,
    signed: false,
    lr: { sgd: 0.01, momentum: 1e-3, nesterov: 1e-3, adagrad: 0.3, rmsprop: 0.01, adam: 0.1, adadelta: 3, adamw: 0.1, lion: 0.01 },
    note:
      'From (2, 2) the wall is steep: gradient descent overshoots and diverges while the adaptive methods shrink their steps. ' +
      'Start at (0.5, 1.8) instead and every method stalls in the long flat valley on the left, far from the minimum at (3, 0.5).',
  },
  himmelblau: {
    name: 'himmelblau',
    title: 'Himmelblau — four minima',
    formula: 'f = (x² + y − 11)² + (x + y² − 7)²',
    x: [-5, 5],
    y: [-5, 5],
    minima: [
      [3, 2],
      [-2.805118, 3.131312],
      [-3.77931, -3.283186],
      [3.584428, -1.848126],
    ],
    start: [-0.3, -0.9],
    steps: 300,
    delta: 0.1,
    signed: false,
    lr: { sgd: 5e-3, momentum: 1e-3, nesterov: 1e-3, adagrad: 0.3, rmsprop: 0.03, adam: 0.1, adadelta: 3, adamw: 0.1, lion: 0.03 },
    note:
      'Four minima of equal depth: which one a path reaches depends on where it starts and on the optimizer. From the hill-top near ' +
      '(−0.3, −0.9) gradient descent and momentum roll to the lower left, the adaptive methods to the upper left. From (1, −4), momentum overshoots into the basin above.',
  },
};

/** The contour coordinate of a value: log-scaled, signed for surfaces that go below zero. */
export function levelOf(s: SurfaceInfo, f: number): number {
  if (s.signed) return Math.sign(f) * Math.log10(1 + Math.abs(f) / s.delta);
  return Math.log10(Math.max(f, 0) + s.delta);
}

/** The learning rate an optimizer gets on a surface at a slider factor. */
export function learningRate(s: SurfaceInfo, id: OptimizerId, factor: number): number {
  return s.lr[id] * factor;
}
