// The Train lab's form: filling its menus, reading its choices (clamped to their ranges and written back),
// showing the hyper-parameter fields of the chosen optimizer, and the presets for each kind of data.
import { ACTIVATIONS, type Activation } from '../../src/index.js';
import {
  DATASETS,
  OPTIMIZER_INFO,
  defaultBetas,
  defaultWeightDecay,
  describeOptimizer,
  optimizerInfo,
  type Architecture,
  type DataKind,
  type DatasetId,
  type Norm,
  type OptimizerChoice,
  type OptimizerId,
} from './train-models.js';

/** The element with this id (the page's markup is fixed: a missing one is a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`train page: missing #${id}`);
  return e as T;
}

const input = (id: string) => byId<HTMLInputElement>(id);
const select = (id: string) => byId<HTMLSelectElement>(id);

/** A number field's value, clamped to [lo, hi] (and rounded for integers), written back to the field. */
function num(id: string, lo: number, hi: number, int = true): number {
  const el = input(id);
  let v = Number(el.value);
  if (!Number.isFinite(v)) v = Number(el.defaultValue);
  v = Math.min(hi, Math.max(lo, int ? Math.round(v) : v));
  el.value = String(v);
  return v;
}

/** Architecture and batch presets per kind of data, applied when the dataset switches kind. */
const PRESETS: Record<DataKind, { depth: number; width: number; activation: Activation; batch: number }> = {
  '2d': { depth: 2, width: 16, activation: 'tanh', batch: 32 },
  mnist: { depth: 1, width: 64, activation: 'relu', batch: 32 },
};

export function fillMenus(): void {
  for (const d of DATASETS) select('dataset').add(new Option(d.label, d.id));
  for (const a of ACTIVATIONS) select('activation').add(new Option(a === 'identity' ? 'identity (linear)' : a, a));
  for (const o of OPTIMIZER_INFO) select('optimizer').add(new Option(o.label, o.id));
  select('activation').value = 'tanh';
  select('optimizer').value = 'adam';
}

export const datasetChoice = (): DatasetId => select('dataset').value as DatasetId;

export function optimizerChoice(): OptimizerChoice {
  return {
    id: select('optimizer').value as OptimizerId,
    lr: num('lr', 0, 100, false),
    momentum: num('momentum', 0, 0.999, false),
    beta1: num('beta1', 0, 0.999, false),
    beta2: num('beta2', 0, 0.9999, false),
    weightDecay: num('wd', 0, 10, false),
  };
}

export function architectureChoice(): Architecture {
  return {
    depth: num('depth', 1, 8),
    width: num('width', 1, 512),
    activation: select('activation').value as Activation,
    norm: select('norm').value as Norm,
    residual: input('residual').checked,
    seed: num('seed', 0, 1e9),
  };
}

/** The batch size the form asks for on a dataset of n examples. */
export function batchChoice(n: number): number {
  const mode = (document.querySelector('input[name="batch"]:checked') as HTMLInputElement).value;
  return mode === 'full' ? n : mode === 'sgd' ? 1 : num('batch-size', 1, n);
}

/** Show the hyper-parameter fields the chosen optimizer has, and all its values as text. */
export function showOptimizerFields(): void {
  const info = optimizerInfo(select('optimizer').value as OptimizerId);
  byId('momentum-field').hidden = !info.momentum;
  byId('beta1-field').hidden = byId('beta2-field').hidden = !info.betas;
  byId('wd-field').hidden = !info.weightDecay;
  byId('optimizer-hint').textContent = describeOptimizer(optimizerChoice());
  byId('optimizer-hint').classList.remove('hint-error');
}

/** The chosen optimizer's default hyper-parameters, with the learning rate that suits this kind of data. */
export function applyOptimizerDefaults(kind: DataKind): void {
  const id = select('optimizer').value as OptimizerId;
  input('lr').value = String(optimizerInfo(id).lr[kind]);
  input('momentum').value = '0.9';
  [input('beta1').value, input('beta2').value] = defaultBetas(id).map(String) as [string, string];
  input('wd').value = String(defaultWeightDecay(id));
  showOptimizerFields();
}

/** A network and learning rate that suit this kind of data (the dataset switched between 2-D and MNIST). */
export function applyPreset(kind: DataKind): void {
  const p = PRESETS[kind];
  input('depth').value = String(p.depth);
  input('width').value = String(p.width);
  select('activation').value = p.activation;
  input('batch-size').value = String(p.batch);
  applyOptimizerDefaults(kind);
}
