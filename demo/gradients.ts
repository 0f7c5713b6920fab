// The vanishing-gradients lab: a deep network trained live with TrainingSession, a few milliseconds of steps per
// animation frame, showing the gradient norm of every layer's weights as a layer-by-step heat map, as bars for
// the latest step, and in a sentence computed from the numbers; and the mechanism: every hidden layer's
// pre-activation histogram (measured on the GPU, compile's activationStats) with its dead, inactive or saturated
// fraction and a sentence naming the cause. Initial weight scale and bias shift provoke each cause.
//
// For tests: <body data-status> is 'ready' (idle), 'running' (compiling or training), 'done' (a requested number
// of steps finished, ?steps=N or the Run button) or 'error'. #heatmap carries data-step, data-names and
// data-norms (JSON, input side first, latest step); #explain carries data-tone and data-ratio (first / output
// layer, averaged over the last steps); #ridge carries data-layers, data-dead, data-inactive and data-saturated
// (JSON, one fraction per hidden layer, latest step); #cause carries data-cause (dead, inactive, saturated,
// healthy). <body> counts finished step runs in data-runs, and gets data-failed="true" if training went non-finite.
import { TrainingError, TrainingSession, adam, compile, sgd, type Network, type Runtime, type StepMetrics } from '../src/index.js';
import { acquireRuntime, renderNav, setStatus, showFatal } from './shell.js';
import { LineChart } from './lib/chart.js';
import { fmt } from './lib/landscape-colors.js';
import { LayerBars } from './lib/gradients-bars.js';
import { Heatmap } from './lib/gradients-heatmap.js';
import { DEFAULT_LR, buildModel, explain, makeData, shiftedBiases, weightTensors, type GradConfig, type LayerRef } from './lib/gradients-model.js';
import { RidgePlot, explainActivations, fractions } from './lib/gradients-activations.js';

renderNav('gradients');

const el = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`gradients page: missing #${id}`);
  return found as T;
};
const select = (id: string) => el<HTMLSelectElement>(id);
const depthInput = el<HTMLInputElement>('depth');
const lrInput = el<HTMLInputElement>('lr');
const startButton = el<HTMLButtonElement>('start');
const heatmapEl = el('heatmap');
const explainEl = el('explain');
const heatmap = new Heatmap(heatmapEl);
const bars = new LayerBars(el('bars'));
const ridgeEl = el('ridge');
const causeEl = el('cause');
const ridge = new RidgePlot(ridgeEl);
const lossChart = new LineChart(el('loss'), { series: [{ label: 'loss', color: '#3157d5', width: 1.5 }], xLabel: 'step', logY: true, height: 160 });

const config = (): GradConfig => ({
  depth: Number(depthInput.value),
  width: Number(select('width').value),
  activation: select('activation').value as GradConfig['activation'],
  norm: select('norm').value as GradConfig['norm'],
  residual: el<HTMLInputElement>('residual').checked,
  dataset: select('dataset').value as GradConfig['dataset'],
  optimizer: select('optimizer').value as GradConfig['optimizer'],
  initScale: Number(select('init-scale').value),
  biasShift: Number(select('bias-shift').value),
});
const learningRate = (): number => {
  const v = Number(lrInput.value);
  return v > 0 && Number.isFinite(v) ? v : DEFAULT_LR[config().optimizer];
};

let rt: Runtime | null = null;
let net: Network | null = null;
let session: TrainingSession | null = null;
let layers: LayerRef[] = [];
let generation = 0;
/** Rebuilds asked for; a queued rebuild that a newer one supersedes does nothing. */
let requests = 0;
let building: Promise<void> = Promise.resolve();
/** Network steps taken before the current run started (Network.steps keeps counting across resets). */
let stepBase = 0;
let mode: 'idle' | 'train' | 'steps' = 'idle';
let target = 0;
let loop: Promise<void> | null = null;
let latest: { metrics: StepMetrics; norms: Float32Array } | null = null;
let recent: Float32Array[] = [];
/** Loss and accuracy of the last steps, for a steadier read-out than one (possibly small, last-of-epoch) batch. */
let recentMetrics: StepMetrics[] = [];
let dirty = false;
let unsubscribe: () => void = () => {};
let rate = { t: performance.now(), steps: 0, perSecond: 0 };

const phase = (text: string) => (el('phase').textContent = text);
const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

function clearViews(): void {
  latest = null;
  recent = [];
  recentMetrics = [];
  heatmap.setRows(layers.map((l) => l.label));
  bars.setLayers(layers.map((l) => l.label));
  lossChart.clear();
  explainEl.textContent = 'Press Start, or Run, to train and watch the gradients.';
  explainEl.dataset.tone = 'idle';
  delete explainEl.dataset.ratio;
  for (const k of ['step', 'norms', 'names']) delete heatmapEl.dataset[k];
  for (const k of ['layers', 'dead', 'inactive', 'saturated']) delete ridgeEl.dataset[k];
  causeEl.textContent = '';
  delete causeEl.dataset.cause;
  delete document.body.dataset.failed;
}

function onMetrics(my: number, m: StepMetrics): void {
  if (my !== generation) return;
  const norms = Float32Array.from(layers, (l) => m.layerGradNorms[l.name] ?? 0);
  heatmap.push(norms);
  latest = { metrics: m, norms };
  recent.push(norms);
  if (recent.length > 10) recent.shift();
  recentMetrics.push(m);
  if (recentMetrics.length > 10) recentMetrics.shift();
  lossChart.append(m.step - stepBase + 1, [m.loss]);
  dirty = true;
}

/** Redraw everything that depends on the metrics, and the data attributes tests read. */
function render(): void {
  dirty = false;
  heatmap.draw();
  if (!latest) return;
  const { metrics: m, norms } = latest;
  bars.update(norms);
  // The sentence uses the geometric mean of the last few steps, so one noisy batch does not flip it.
  // Norms that underflowed to 0 count as 1e-30, and a mean that low counts as 0.
  const mean = norms.map((_, i) => Math.exp(recent.reduce((s, r) => s + Math.log(Math.max(r[i]!, 1e-30)), 0) / recent.length));
  for (let i = 0; i < mean.length; i++) if (mean[i]! <= 1e-29) mean[i] = 0;
  const e = explain(Array.from(mean));
  explainEl.textContent = `Step ${m.step - stepBase + 1}: ${e.text}`;
  explainEl.dataset.tone = e.tone;
  explainEl.dataset.ratio = String(e.ratio);
  Object.assign(heatmapEl.dataset, {
    step: String(m.step - stepBase + 1),
    names: JSON.stringify(layers.map((l) => l.name)),
    norms: JSON.stringify(Array.from(norms)),
  });
  if (m.activations) renderActivations(m.activations);
  el('norm-rows').replaceChildren(
    ...layers.map((l, i) => {
      const tr = document.createElement('tr');
      for (const text of [l.label, l.name, norms[i]!.toExponential(3)]) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
      return tr;
    }),
  );
  const now = performance.now();
  if (now - rate.t > 1000) rate = { t: now, steps: m.step, perSecond: ((m.step - rate.steps) * 1000) / (now - rate.t) };
  const seen = recentMetrics.reduce((a, r) => a + r.batchSize, 0);
  const loss = recentMetrics.reduce((a, r) => a + r.loss * r.batchSize, 0) / seen;
  const accuracy = recentMetrics.reduce((a, r) => a + r.accuracy * r.batchSize, 0) / seen;
  phase(
    `Step ${m.step - stepBase + 1} · epoch ${session?.epoch ?? 0} · loss ${fmt(loss, 3)} · accuracy ${(accuracy * 100).toFixed(0)}% (last ${recentMetrics.length} steps)${rate.perSecond > 0 ? ` · ${rate.perSecond.toFixed(0)} steps/s` : ''}`,
  );
}

/** The ridge plot, the sentence naming the cause, and the per-layer fractions tests read from #ridge. */
function renderActivations(acts: NonNullable<StepMetrics['activations']>): void {
  const activation = config().activation;
  ridge.draw(acts, activation);
  const c = explainActivations(acts, activation);
  causeEl.textContent = c.text;
  causeEl.dataset.cause = c.cause;
  const f = fractions(acts, activation);
  Object.assign(ridgeEl.dataset, {
    layers: JSON.stringify(acts.map((a) => a.layer)),
    dead: JSON.stringify(f.dead),
    inactive: JSON.stringify(f.inactive),
    saturated: JSON.stringify(f.saturated),
  });
}

/** Stop the training loop and wait until its step in flight is submitted. */
async function halt(): Promise<void> {
  mode = 'idle';
  startButton.textContent = 'Start';
  await loop;
}

/** Structural changes (rebuild, reset) run one after another; training waits for them. */
function enqueue(op: () => Promise<void>): void {
  setStatus('running');
  building = building.then(op).catch(showFatal);
}

async function build(request: number): Promise<void> {
  if (!rt || request !== requests) return; // a newer rebuild is queued behind this one
  const my = ++generation;
  await halt();
  const old = net;
  net = null;
  session = null;
  unsubscribe();
  // Let metric read-backs in flight land before their buffers go.
  await old?.flush().catch(() => {});
  await old?.destroy();
  const c = config();
  const data = makeData(c.dataset);
  setStatus('running');
  phase(`Compiling kernels for ${c.depth} hidden layers…`);
  const optimizer = c.optimizer === 'adam' ? adam({ lr: learningRate() }) : sgd({ lr: learningRate() });
  const n = await compile(rt, buildModel(c, data.classes), { loss: 'cross_entropy', optimizer, metricsEvery: 5, activationStats: true });
  if (c.biasShift) n.load(shiftedBiases(n, c.biasShift), { partial: true });
  const s = new TrainingSession(n, data, { batchSize: 32, seed: 1, learningRate: () => learningRate() });
  await s.ready();
  if (request !== requests) {
    await n.destroy();
    return;
  }
  [net, session, layers, stepBase] = [n, s, weightTensors(n), n.steps];
  unsubscribe = n.onStep((m) => onMetrics(my, m));
  clearViews();
  phase(`${c.depth} hidden layers of ${c.width}, ${layers.length} weight matrices, ${data.n} points: ready.`);
  setStatus('ready');
}

function rebuild(): void {
  if (!rt) return; // main() builds the first network once the runtime exists
  const request = ++requests;
  enqueue(() => build(request));
}

async function runLoop(): Promise<void> {
  // mode changes while we wait for a frame (Pause, a rebuild); read it through a function so TS does not narrow it.
  const idle = () => mode === 'idle';
  while (!idle() && net && session) {
    await nextFrame();
    if (idle() || !net || !session) break;
    const done = net.steps - stepBase;
    if (mode === 'steps' && done >= target) {
      await net.flush();
      render();
      mode = 'idle';
      startButton.textContent = 'Start';
      document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
      setStatus('done');
      break;
    }
    try {
      await session.run({ budgetMs: 8, ...(mode === 'steps' ? { steps: target - done } : {}) });
    } catch (e) {
      if (!(e instanceof TrainingError)) throw e;
      await net.flush().catch(() => {});
      render();
      const why = e.message.split('. The parameters')[0]!.replace(/ \(non-finite: [^)]*\)/, '');
      explainEl.textContent = `Diverged: ${why}. Lower the learning rate, or add normalisation, and press Reset.`;
      explainEl.dataset.tone = 'diverged';
      document.body.dataset.failed = 'true';
      if (mode === 'steps') document.body.dataset.runs = String(Number(document.body.dataset.runs ?? 0) + 1);
      setStatus(mode === 'steps' ? 'done' : 'ready');
      mode = 'idle';
      startButton.textContent = 'Start';
      break;
    }
    if (dirty) render();
  }
}

function ensureLoop(): void {
  loop ??= runLoop()
    .catch(showFatal)
    .finally(() => (loop = null));
}

async function toggle(): Promise<void> {
  await building;
  if (mode === 'train') {
    await halt();
    setStatus('ready');
    return;
  }
  if (!net || net.failure) return;
  mode = 'train';
  startButton.textContent = 'Pause';
  setStatus('running');
  ensureLoop();
}

async function runSteps(count: number): Promise<void> {
  await building;
  if (!net || net.failure) return;
  target = net.steps - stepBase + Math.max(1, Math.round(count));
  mode = 'steps';
  startButton.textContent = 'Pause';
  setStatus('running');
  ensureLoop();
}

async function reset(): Promise<void> {
  if (!net) return;
  await halt();
  const my = ++generation;
  await net.flush().catch(() => {});
  await net.reset();
  const shift = config().biasShift;
  if (shift) net.load(shiftedBiases(net, shift), { partial: true });
  const data = makeData(config().dataset);
  session = new TrainingSession(net, data, { batchSize: 32, seed: 1, learningRate: () => learningRate() });
  await session.ready();
  stepBase = net.steps;
  unsubscribe();
  unsubscribe = net.onStep((m) => onMetrics(my, m));
  clearViews();
  phase('Reset to the initial weights: ready.');
  setStatus('ready');
}

for (const id of ['activation', 'norm', 'residual', 'width', 'dataset', 'init-scale', 'bias-shift']) el(id).addEventListener('change', rebuild);
el('optimizer').addEventListener('change', () => {
  lrInput.value = String(DEFAULT_LR[config().optimizer]);
  rebuild();
});
depthInput.addEventListener('input', () => (el('depth-out').textContent = depthInput.value));
depthInput.addEventListener('change', rebuild);
startButton.addEventListener('click', () => void toggle().catch(showFatal));
el('reset').addEventListener('click', () => net && enqueue(reset));
el('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  runSteps(Number(el<HTMLInputElement>('run-steps').value) || 50).catch(showFatal);
});
let width = 0;
new ResizeObserver(() => {
  if (heatmapEl.clientWidth === width) return;
  width = heatmapEl.clientWidth;
  heatmap.layout();
  bars.resize();
  if (latest?.metrics.activations) renderActivations(latest.metrics.activations);
}).observe(heatmapEl);

/** Controls from the query string (?activation=relu&residual=1&depth=20&steps=50 ...), for links and tests. */
function applyQuery(q: URLSearchParams): void {
  for (const id of ['activation', 'norm', 'width', 'dataset', 'optimizer', 'init-scale', 'bias-shift']) {
    const v = q.get(id);
    if (v && [...select(id).options].some((o) => o.value === v)) select(id).value = v;
  }
  if (q.has('residual')) el<HTMLInputElement>('residual').checked = q.get('residual') !== '0';
  const depth = Number(q.get('depth'));
  if (depth) depthInput.value = String(depth);
  el('depth-out').textContent = depthInput.value;
  lrInput.value = q.get('lr') ?? String(DEFAULT_LR[config().optimizer]);
}

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  applyQuery(q);
  rt = await acquireRuntime();
  if (!rt) {
    phase('WebGPU is not available, so nothing can train here.');
    return;
  }
  rebuild();
  await building;
  const steps = Number(q.get('steps'));
  if (steps > 0) await runSteps(steps);
}

main().catch(showFatal);
