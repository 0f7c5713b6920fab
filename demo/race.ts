// The optimizer race: the same model (same seed, so the same initial weights) and the same batches, trained by
// several optimizers that take turns every animation frame, so they progress together. Loss curves overlaid on
// one chart; a table of the loss and accuracy each reached after N steps and the time its steps took.
// For tests: body[data-status] ('ready', 'running', 'done', 'error'), #race-chart[data-points|data-series],
// #race-rows tr[data-optimizer][data-steps][data-initial-loss][data-loss][data-accuracy][data-ms].
import { TrainingError, TrainingSession, compile, type Dataset, type Model, type Network, type Runtime } from '../src/index.js';
import { LineChart, type ChartSeries } from './lib/chart.js';
import {
  DATASETS,
  OPTIMIZER_COLORS,
  OPTIMIZER_INFO,
  buildModel,
  dataKind,
  describeModel,
  describeOptimizer,
  fmt,
  loadData,
  makeOptimizer,
  type Architecture,
  type DataKind,
  type DatasetId,
  type OptimizerChoice,
  type OptimizerId,
} from './lib/train-models.js';
import { acquireRuntime, renderNav, setStatus, showFatal } from './shell.js';

renderNav('race');

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`race page: missing #${id}`);
  return e as T;
};
const input = (id: string) => $<HTMLInputElement>(id);

/** The racing network: small enough to train quickly on any adapter, deep enough to need a good optimizer. */
const ARCH: Record<DataKind, Omit<Architecture, 'seed'>> = {
  '2d': { depth: 2, width: 16, activation: 'tanh', norm: 'none', residual: false },
  mnist: { depth: 1, width: 32, activation: 'relu', norm: 'none', residual: false },
};
/** The race's MNIST subset (a prefix of the fixed training split). */
const MNIST_TRAIN = 2000;
/** Optimizers in the race by default: the classic eight. */
const DEFAULT_ON = new Set<OptimizerId>(['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw']);
const EMA = 0.1;
/** GPU time per frame the race aims for, over all optimizers. */
const FRAME_MS = 30;

interface Entry {
  id: OptimizerId;
  label: string;
  choice: OptimizerChoice;
  net: Network;
  session: TrainingSession;
  /** Steps submitted, and wall time spent on them (submission and GPU). */
  steps: number;
  ms: number;
  base: number;
  raw: (number | null)[];
  smooth: (number | null)[];
  ema: number | null;
  delivered: number;
  final: { loss: number; accuracy: number } | null;
  row: HTMLTableRowElement;
}

let rt: Runtime;
let entries: Entry[] = [];
let running = false;
let raceId = 0;
let initialLoss = 0;
let target = 300;
let turn = 0;
const chart = new LineChart($('race-chart'), { series: [], xLabel: 'step', logY: true, height: 190 });

for (const d of DATASETS) $<HTMLSelectElement>('dataset').add(new Option(d.label, d.id));
const kindOf = () => dataKind($<HTMLSelectElement>('dataset').value as DatasetId);
let kind: DataKind = '2d';

function buildOptimizerList(): void {
  const list = $('optimizers');
  for (const info of OPTIMIZER_INFO) {
    const row = document.createElement('div');
    row.className = 'opt-row';
    row.innerHTML = `
      <input type="checkbox" id="use-${info.id}" ${DEFAULT_ON.has(info.id) ? 'checked' : ''} />
      <label for="use-${info.id}" class="opt-name"><span class="swatch" style="background:${OPTIMIZER_COLORS[info.id]}"></span>${info.label}</label>
      <label for="lr-${info.id}" class="sr-only">${info.label} learning rate</label>
      <input id="lr-${info.id}" type="number" min="0" step="any" value="${info.lr[kind]}" title="learning rate" />
      <span class="opt-hint" id="hint-${info.id}"></span>`;
    list.append(row);
    input(`lr-${info.id}`).addEventListener('change', () => showHint(info.id));
    showHint(info.id);
  }
}

function choiceOf(id: OptimizerId): OptimizerChoice {
  const lr = Number(input(`lr-${id}`).value);
  return { id, lr: Number.isFinite(lr) && lr >= 0 ? lr : OPTIMIZER_INFO.find((o) => o.id === id)!.lr[kind] };
}

function showHint(id: OptimizerId): void {
  // The learning rate has its own field: the hint lists the rest.
  $(`hint-${id}`).textContent = describeOptimizer(choiceOf(id)).replace(/^lr [^,]*(, )?/, '');
}

function setPhase(text: string, cls: string): void {
  const p = $('phase');
  p.textContent = text;
  p.className = `phase phase-${cls}`;
}

function raceSettings() {
  const steps = Math.min(5000, Math.max(10, Math.round(Number(input('steps').value)) || 300));
  input('steps').value = String(steps);
  const seed = Math.max(0, Math.round(Number(input('seed').value)) || 0);
  input('seed').value = String(seed);
  const chosen = OPTIMIZER_INFO.filter((o) => input(`use-${o.id}`).checked).map((o) => choiceOf(o.id));
  return { dataset: $<HTMLSelectElement>('dataset').value as DatasetId, steps, seed, chosen };
}

function describeRace(): void {
  const k = kindOf();
  const n = k === 'mnist' ? MNIST_TRAIN : $<HTMLSelectElement>('dataset').value === 'spiral' ? 300 : 200;
  const classes = k === 'mnist' ? 10 : $<HTMLSelectElement>('dataset').value === 'spiral' ? 3 : 2;
  const batch = Math.round(Number(input('batch').value));
  const mode = batch >= n ? 'full-batch gradient descent' : batch === 1 ? 'SGD (batch 1)' : `mini-batches of ${batch}`;
  $('race-model').textContent = `${describeModel(k === 'mnist' ? 784 : 2, classes, { ...ARCH[k], seed: 0 })} · ${n.toLocaleString('en-US')} examples, ${mode}.`;
}

async function disposeEntries(): Promise<void> {
  const old = entries;
  entries = [];
  for (const e of old) {
    await e.net.flush().catch(() => {});
    await e.net.destroy();
  }
}

async function startRace(): Promise<void> {
  const id = ++raceId;
  running = false;
  const s = raceSettings();
  if (s.chosen.length === 0) {
    setPhase('pick at least one optimizer', 'diverged');
    return;
  }
  $<HTMLButtonElement>('start').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  setStatus('running');
  await disposeEntries();
  target = s.steps;
  $('table-steps').textContent = String(target);
  if (s.dataset === 'mnist') setPhase('loading MNIST (1.6 MB)…', 'busy');
  const data: Dataset = (await loadData(s.dataset, { mnistTrain: MNIST_TRAIN, mnistTest: 1 })).train;
  const batch = Math.min(data.n, Math.max(1, Math.round(Number(input('batch').value)) || 32));
  input('batch').value = String(batch);
  describeRace();
  setPhase('compiling kernels…', 'busy');
  const model = buildModel(data.inputDim, data.classes, { ...ARCH[dataKind(s.dataset)], seed: s.seed });
  const rows: HTMLTableRowElement[] = [];
  const next: Entry[] = [];
  for (const choice of s.chosen) {
    const info = OPTIMIZER_INFO.find((o) => o.id === choice.id)!;
    const net = await compile(rt, model, { loss: 'cross_entropy', optimizer: makeOptimizer(choice) });
    // The same shuffling seed: every optimizer sees the same batches in the same order.
    const session = new TrainingSession(net, data, { batchSize: batch, seed: 1 });
    await session.ready();
    const e: Entry = {
      id: choice.id,
      label: info.label,
      choice,
      net,
      session,
      steps: 0,
      ms: 0,
      base: net.steps,
      raw: [],
      smooth: [],
      ema: null,
      delivered: 0,
      final: null,
      row: makeRow(choice),
    };
    net.onStep((m) => {
      const i = m.step - e.base;
      e.ema = e.ema === null ? m.loss : e.ema + EMA * (m.loss - e.ema);
      e.raw[i] = m.loss;
      e.smooth[i] = e.ema;
      e.delivered = Math.max(e.delivered, i + 1);
    });
    next.push(e);
    rows.push(e.row);
  }
  if (id !== raceId) {
    for (const e of next) await e.net.destroy();
    return;
  }
  await warmUp(model, data, batch);
  entries = next;
  initialLoss = (await entries[0]!.net.evaluate(data, { batchSize: data.n })).loss;
  $('initial-loss').textContent = fmt(initialLoss);
  $('race-rows').replaceChildren(...rows);
  chart.setSeries(entries.map((e): ChartSeries => ({ label: e.label, color: OPTIMIZER_COLORS[e.id], width: 1.75 })));
  setPhase('racing', 'running');
  running = true;
  requestAnimationFrame(() => void frame(id, data));
}

/**
 * A few steps on a throwaway copy first, so that the first optimizer to run does not pay, inside its timing,
 * for the first use of the kernels every optimizer shares (forward, backward, telemetry).
 */
async function warmUp(model: Model, data: Dataset, batch: number): Promise<void> {
  const net = await compile(rt, model, { loss: 'cross_entropy', optimizer: makeOptimizer({ id: 'sgd', lr: 0 }) });
  const session = new TrainingSession(net, data, { batchSize: batch, seed: 1 });
  await session.run({ steps: 2 });
  await net.flush();
  await net.destroy();
}

function makeRow(c: OptimizerChoice): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.optimizer = c.id;
  const info = OPTIMIZER_INFO.find((o) => o.id === c.id)!;
  tr.innerHTML = `<td class="col-opt"><span class="swatch" style="background:${OPTIMIZER_COLORS[c.id]}"></span>${info.label}</td>
    <td class="col-hyper"></td><td class="num steps">0</td><td class="num loss">—</td><td class="num acc">—</td><td class="num ms">—</td><td class="num rate">—</td>`;
  tr.cells[1]!.textContent = describeOptimizer(c);
  return tr;
}

/** One animation frame of the race: each optimizer still running takes its turn of k steps. */
async function frame(id: number, data: Dataset): Promise<void> {
  if (id !== raceId || !running) return;
  try {
    const active = entries.filter((e) => e.steps < target);
    const spent = entries.reduce((a, e) => a + e.ms, 0);
    const taken = entries.reduce((a, e) => a + e.steps, 0);
    const perStep = taken ? spent / taken : 5;
    const k = Math.max(1, Math.min(100, Math.floor(FRAME_MS / (perStep * Math.max(1, active.length)))));
    // Each frame starts with the next optimizer, so none is always first (or last) in line.
    turn = (turn + 1) % Math.max(1, active.length);
    for (const e of [...active.slice(turn), ...active.slice(0, turn)]) {
      const t0 = performance.now();
      const n = await e.session.run({ steps: Math.min(k, target - e.steps) });
      await rt.device.queue.onSubmittedWorkDone();
      e.ms += performance.now() - t0;
      e.steps += n;
      if (id !== raceId) return;
    }
    for (const e of active) if (e.steps >= target) await finish(e, data);
    if (id !== raceId) return;
    draw();
    if (entries.every((e) => e.final)) {
      running = false;
      setPhase('finished', 'paused');
      $<HTMLButtonElement>('start').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
      setStatus('done');
      return;
    }
    requestAnimationFrame(() => void frame(id, data));
  } catch (e) {
    running = false;
    if (e instanceof TrainingError) {
      setPhase('an optimizer diverged', 'diverged');
      $('race-stats').dataset.error = e.message;
      $<HTMLButtonElement>('start').disabled = false;
      setStatus('done');
      return;
    }
    showFatal(e);
  }
}

/** After the last step: wait for its metrics, then measure loss and accuracy on the whole training set. */
async function finish(e: Entry, data: Dataset): Promise<void> {
  await e.net.flush();
  e.final = await e.net.evaluate(data, { batchSize: data.n });
  updateRow(e);
}

function updateRow(e: Entry): void {
  const c = e.row.cells;
  c[2]!.textContent = String(e.delivered);
  const loss = e.final?.loss ?? e.ema;
  c[3]!.textContent = loss === null ? '—' : fmt(loss);
  c[4]!.textContent = e.final ? `${(100 * e.final.accuracy).toFixed(1)}%` : '…';
  c[5]!.textContent = e.ms > 0 ? `${(e.ms / 1000).toFixed(2)} s` : '—';
  c[6]!.textContent = e.ms > 0 ? (e.steps / (e.ms / 1000)).toFixed(0) : '—';
  const d = e.row.dataset;
  d.steps = String(e.delivered);
  d.initialLoss = String(initialLoss);
  d.ms = e.ms.toFixed(1);
  if (e.final) {
    d.loss = String(e.final.loss);
    d.accuracy = String(e.final.accuracy);
    e.row.classList.add('row-done');
  }
}

/** Curves and the table; the lowest final loss gets a mark. */
function draw(): void {
  const n = Math.max(0, ...entries.map((e) => e.delivered));
  const smooth = input('smooth').checked;
  chart.setData(
    Array.from({ length: n }, (_, i) => i + 1),
    entries.map((e) => Array.from({ length: n }, (_, i) => (smooth ? e.smooth[i] : e.raw[i]) ?? null)),
  );
  for (const e of entries) updateRow(e);
  const done = entries.filter((e) => e.final);
  const best = done.length === entries.length ? done.reduce((a, b) => (b.final!.loss < a.final!.loss ? b : a)) : null;
  for (const e of entries) e.row.classList.toggle('row-best', e === best);
  $('progress').textContent = `${Math.min(...entries.map((e) => e.delivered))} / ${target}`;
}

async function stopRace(): Promise<void> {
  raceId++;
  running = false;
  for (const e of entries) await e.net.flush().catch(() => {});
  draw();
  setPhase('stopped', 'ready');
  $<HTMLButtonElement>('start').disabled = false;
  $<HTMLButtonElement>('stop').disabled = true;
  setStatus('ready');
}

function wire(): void {
  $<HTMLSelectElement>('dataset').addEventListener('change', () => {
    const k = kindOf();
    if (k !== kind) {
      kind = k;
      for (const o of OPTIMIZER_INFO) {
        input(`lr-${o.id}`).value = String(o.lr[kind]);
        showHint(o.id);
      }
    }
    describeRace();
  });
  input('batch').addEventListener('change', describeRace);
  input('smooth').addEventListener('change', draw);
  input('log-loss').addEventListener('change', () => chart.setLogY(input('log-loss').checked));
  $('start').addEventListener('click', () => void startRace().catch(showFatal));
  $('stop').addEventListener('click', () => void stopRace().catch(showFatal));
}

async function main(): Promise<void> {
  buildOptimizerList();
  describeRace();
  wire();
  const acquired = await acquireRuntime();
  if (!acquired) {
    setPhase('no WebGPU', 'diverged');
    return;
  }
  rt = acquired;
  $('adapter').textContent = `Adapter: ${rt.description}${rt.isSoftware ? ' (software, CPU)' : ''}`;
  setPhase('ready', 'ready');
  $<HTMLButtonElement>('start').disabled = false;
  setStatus('ready');
}

main().catch(showFatal);
