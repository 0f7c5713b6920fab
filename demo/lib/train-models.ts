// What the Train and Race labs share: the datasets they offer, how a form's choices become a model, and the
// optimizers' default hyper-parameters for the small 2-D sets and for MNIST (found by a sweep: each reaches a
// low loss on the spiral in 300 mini-batch steps of 32, or on MNIST in a few hundred).
import {
  OPTIMIZERS,
  activationLayer,
  batchNorm,
  circles,
  dense,
  layerNorm,
  moons,
  residual,
  sequential,
  spiral,
  xor,
  type Activation,
  type Dataset,
  type Layer,
  type Model,
  type OptimizerDef,
} from '../../src/index.js';

export type DatasetId = 'spiral' | 'moons' | 'circles' | 'xor' | 'mnist';
export type DataKind = '2d' | 'mnist';

export const DATASETS: readonly { id: DatasetId; label: string }[] = [
  { id: 'spiral', label: 'Spiral (3 classes)' },
  { id: 'moons', label: 'Moons' },
  { id: 'circles', label: 'Circles' },
  { id: 'xor', label: 'XOR' },
  { id: 'mnist', label: 'MNIST digits' },
];

export const dataKind = (id: DatasetId): DataKind => (id === 'mnist' ? 'mnist' : '2d');

export interface LoadedData {
  id: DatasetId;
  train: Dataset;
  /** MNIST only: held-out digits. */
  test: Dataset | null;
}

/**
 * The dataset, generated (2-D, seeded) or loaded (MNIST, fetched lazily: 0.8 MB per 1,000 digits).
 * `mnistTrain` and `mnistTest` take prefixes of MNIST's original 60,000 training and 10,000 test digits.
 */
export async function loadData(id: DatasetId, options: { mnistTrain?: number; mnistTest?: number } = {}): Promise<LoadedData> {
  switch (id) {
    case 'spiral':
      return { id, train: spiral({ n: 300, classes: 3, seed: 1 }), test: null };
    case 'moons':
      return { id, train: moons({ n: 200, seed: 1 }), test: null };
    case 'circles':
      return { id, train: circles({ n: 200, seed: 1 }), test: null };
    case 'xor':
      return { id, train: xor({ n: 200, seed: 1 }), test: null };
    case 'mnist': {
      const [{ loadMnist }, { demoMnistSource }] = await Promise.all([import('../../src/data/mnist.js'), import('./mnist-source.js')]);
      const { train, test } = await loadMnist({ trainSize: options.mnistTrain ?? 8000, testSize: options.mnistTest ?? 2000, source: demoMnistSource });
      return { id, train, test };
    }
  }
}

export type Norm = 'none' | 'layer' | 'batch';

export interface Architecture {
  /** Hidden layers, 1..8. */
  depth: number;
  width: number;
  activation: Activation;
  norm: Norm;
  /** Hidden layers after the first as y = x + f(x). */
  residual: boolean;
  seed: number;
}

/**
 * inputs -> [dense(width) -> norm -> activation] x depth -> dense(classes). With `residual`, every hidden
 * layer after the first (which changes the width) is a residual block around the same three layers.
 */
export function buildModel(inputDim: number, classes: number, a: Architecture): Model {
  const init = a.activation === 'relu' || a.activation === 'leaky_relu' || a.activation === 'gelu' ? 'he' : 'xavier';
  const hidden = (): Layer[] => [
    ...dense(a.width, { init }),
    ...(a.norm === 'layer' ? [layerNorm()] : a.norm === 'batch' ? [batchNorm()] : []),
    ...(a.activation === 'identity' ? [] : [activationLayer(a.activation)]),
  ];
  const layers: (Layer | Layer[])[] = [hidden()];
  for (let i = 1; i < a.depth; i++) layers.push(a.residual ? [residual(hidden())] : hidden());
  layers.push(dense(classes));
  return sequential(inputDim, layers, { seed: a.seed });
}

/** One line describing an architecture, e.g. "2 → 16 → 16 → 3, tanh". */
export function describeModel(inputDim: number, classes: number, a: Architecture): string {
  const hidden = Array.from({ length: a.depth }, () => String(a.width));
  const extras = [a.activation, a.norm === 'layer' ? 'LayerNorm' : a.norm === 'batch' ? 'BatchNorm' : '', a.residual && a.depth > 1 ? 'residual' : '']
    .filter(Boolean)
    .join(', ');
  return `${[inputDim, ...hidden, classes].join(' → ')}${extras ? `, ${extras}` : ''}`;
}

export type OptimizerId = 'sgd' | 'momentum' | 'nesterov' | 'adagrad' | 'adadelta' | 'rmsprop' | 'adam' | 'adamw' | 'adamax' | 'lion';

export interface OptimizerInfo {
  id: OptimizerId;
  label: string;
  /** Which main hyper-parameters the labs let you change besides the learning rate. */
  momentum?: boolean;
  betas?: boolean;
  weightDecay?: boolean;
  /** Learning rates found to work for the 2-D sets and for MNIST. */
  lr: Record<DataKind, number>;
  /** Fixed extra options the labs pass (shown to the user). */
  fixed?: Record<string, number>;
}

export const OPTIMIZER_INFO: readonly OptimizerInfo[] = [
  { id: 'sgd', label: 'Gradient descent', lr: { '2d': 0.5, mnist: 0.1 } },
  { id: 'momentum', label: 'Momentum', momentum: true, lr: { '2d': 0.1, mnist: 0.03 } },
  { id: 'nesterov', label: 'Nesterov', momentum: true, lr: { '2d': 0.1, mnist: 0.03 } },
  { id: 'adagrad', label: 'Adagrad', lr: { '2d': 0.1, mnist: 0.03 } },
  // PyTorch's eps 1e-6 makes AdaDelta's first steps ~1e-3 long; 1e-4 lets it get going within a race.
  { id: 'adadelta', label: 'AdaDelta', lr: { '2d': 1, mnist: 1 }, fixed: { rho: 0.9, eps: 1e-4 } },
  { id: 'rmsprop', label: 'RMSProp', lr: { '2d': 0.01, mnist: 0.001 } },
  { id: 'adam', label: 'Adam', betas: true, lr: { '2d': 0.03, mnist: 0.001 } },
  { id: 'adamw', label: 'AdamW', betas: true, weightDecay: true, lr: { '2d': 0.03, mnist: 0.001 } },
  { id: 'adamax', label: 'Adamax', betas: true, lr: { '2d': 0.05, mnist: 0.003 } },
  { id: 'lion', label: 'Lion', betas: true, weightDecay: true, lr: { '2d': 0.005, mnist: 0.0003 } },
];

export const optimizerInfo = (id: OptimizerId): OptimizerInfo => OPTIMIZER_INFO.find((o) => o.id === id)!;

export interface OptimizerChoice {
  id: OptimizerId;
  lr: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  weightDecay?: number;
}

/** Default β for an optimizer (Lion's differ from Adam's). */
export function defaultBetas(id: OptimizerId): [number, number] {
  return id === 'lion' ? [0.9, 0.99] : [0.9, 0.999];
}

export function defaultWeightDecay(id: OptimizerId): number {
  return id === 'adamw' ? 0.01 : 0;
}

/** The optimizer for a choice; throws the library's OptionError for a bad value. */
export function makeOptimizer(c: OptimizerChoice): OptimizerDef {
  const info = optimizerInfo(c.id);
  const options: Record<string, unknown> = { lr: c.lr, ...(info.fixed ?? {}) };
  if (info.momentum) options.momentum = c.momentum ?? 0.9;
  if (info.betas) options.betas = [c.beta1 ?? defaultBetas(c.id)[0], c.beta2 ?? defaultBetas(c.id)[1]];
  if (info.weightDecay) options.weightDecay = c.weightDecay ?? defaultWeightDecay(c.id);
  return OPTIMIZERS[c.id]!(options);
}

/** The hyper-parameters of a choice as short text, e.g. "lr 0.1, μ 0.9". */
export function describeOptimizer(c: OptimizerChoice): string {
  const info = optimizerInfo(c.id);
  const parts = [`lr ${c.lr}`];
  if (info.momentum) parts.push(`μ ${c.momentum ?? 0.9}`);
  if (info.betas) {
    const [b1, b2] = defaultBetas(c.id);
    parts.push(`β ${c.beta1 ?? b1}, ${c.beta2 ?? b2}`);
  }
  if (info.weightDecay) parts.push(`wd ${c.weightDecay ?? defaultWeightDecay(c.id)}`);
  if (info.fixed?.rho !== undefined) parts.push(`ρ ${info.fixed.rho}`);
  if (info.fixed?.eps !== undefined) parts.push(`ε ${info.fixed.eps}`);
  return parts.join(', ');
}

/** Class colours for boundaries, points and legends (colour-blind-friendly, distinct in greyscale). */
export const CLASS_COLORS: readonly [number, number, number][] = [
  [49, 104, 214],
  [230, 120, 40],
  [34, 150, 95],
  [160, 70, 180],
];

/** Colours for optimizer series, one per entry of OPTIMIZER_INFO. */
export const OPTIMIZER_COLORS: Readonly<Record<OptimizerId, string>> = {
  sgd: '#6b7280',
  momentum: '#1f77b4',
  nesterov: '#17becf',
  adagrad: '#bcbd22',
  adadelta: '#8c564b',
  rmsprop: '#9467bd',
  adam: '#d62728',
  adamw: '#ff7f0e',
  adamax: '#e377c2',
  lion: '#2ca02c',
};

/** Numbers as the labs show them: 4 significant digits, exponent when tiny. */
export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return String(+v.toPrecision(digits));
}
