// The Convolutions lab: a small CNN and an MLP trained side by side on MNIST; the CNN's first-layer filters and
// their feature maps of a digit, redrawn from weights read back while training goes on; both models' class
// probabilities for the digit drawn on the pad (or a test digit). For tests: body[data-status],
// #stats[data-steps], [data-mlp-steps], #filters[data-draws], #maps[data-draws], #probs-cnn / #probs-mlp[data-sum].
import type { Dataset, StepMetrics } from '../src/index.js';
import { LineChart } from './lib/chart.js';
import { CNN_LABEL, FIRST_FILTERS, FIRST_KERNEL, MLP_LABEL, cnnModel, labOptimizer, mlpModel } from './lib/conv-models.js';
import { FeatureMapView, FilterView } from './lib/conv-views.js';
import { DrawPad, ProbabilityBars, showInput, softmax } from './lib/train-digits.js';
import { fmt, loadData } from './lib/train-models.js';
import { showPhase } from './lib/phase-pill.js';
import { TrainRunner, type Phase } from './lib/train-runner.js';
import { acquireRuntime, el as $, renderNav, setStatus, showFatal } from './shell.js';

renderNav('conv');

const EMA = 0.05;
const BATCH = 32;
const CNN_COLOR = '#3157d5';
const MLP_COLOR = '#c2410c';

const lossChart = new LineChart($('loss-chart'), {
  series: [
    { label: 'CNN', color: CNN_COLOR, width: 2 },
    { label: 'MLP', color: MLP_COLOR, width: 2 },
  ],
  xLabel: 'step',
  logY: true,
  height: 190,
});
const accChart = new LineChart($('acc-chart'), {
  series: [
    { label: 'CNN', color: CNN_COLOR, width: 2 },
    { label: 'MLP', color: MLP_COLOR, width: 2 },
  ],
  xLabel: 'step',
  yRange: [0, 1],
  height: 160,
});

const stats = $('stats');
const filters = new FilterView($<HTMLCanvasElement>('filters'), FIRST_FILTERS, FIRST_KERNEL);
const maps = new FeatureMapView($<HTMLCanvasElement>('maps'), FIRST_FILTERS, FIRST_KERNEL);
const pad = new DrawPad($<HTMLCanvasElement>('draw-pad'), () => void refreshDigit());
const cnnBars = new ProbabilityBars($('probs-cnn'));
const mlpBars = new ProbabilityBars($('probs-mlp'));

let cnn: TrainRunner;
let mlp: TrainRunner;
let test: Dataset | null = null;
let testIndex = 0;
/** The first layer's weights and bias as last read back. */
let firstLayer: { w: Float32Array; b: Float32Array } | null = null;

/**
 * Smoothed metrics per model, and points waiting for the other model's same step: the curves compare the two
 * at equal steps (the MLP's steps are cheaper, so it usually waits for the CNN).
 */
interface Track {
  ema: { loss: number; acc: number } | null;
  waiting: Map<number, [number, number]>;
  x: number;
}
const tracks: Record<'cnn' | 'mlp', Track> = { cnn: { ema: null, waiting: new Map(), x: 0 }, mlp: { ema: null, waiting: new Map(), x: 0 } };

function onMetrics(which: 'cnn' | 'mlp', m: StepMetrics, x: number): void {
  const t = tracks[which];
  t.ema = t.ema ? { loss: t.ema.loss + EMA * (m.loss - t.ema.loss), acc: t.ema.acc + EMA * (m.accuracy - t.ema.acc) } : { loss: m.loss, acc: m.accuracy };
  t.x = x;
  t.waiting.set(x, [t.ema.loss, t.ema.acc]);
  const c = tracks.cnn.waiting.get(x);
  const p = tracks.mlp.waiting.get(x);
  if (c && p) {
    lossChart.append(x, [c[0], p[0]]);
    accChart.append(x, [c[1], p[1]]);
    tracks.cnn.waiting.delete(x);
    tracks.mlp.waiting.delete(x);
  }
}

function clearCurves(): void {
  for (const t of Object.values(tracks)) {
    t.ema = null;
    t.waiting.clear();
    t.x = 0;
  }
  lossChart.clear();
  accChart.clear();
  $('cnn-accuracy').textContent = $('mlp-accuracy').textContent = '—';
  updateStats(true);
}

let lastStats = 0;
function updateStats(force = false): void {
  const now = performance.now();
  if (!force && now - lastStats < 200) return;
  lastStats = now;
  const show = (id: string, t: Track) => t.ema && ($(id).textContent = `${(100 * t.ema.acc).toFixed(1)}%`);
  show('cnn-accuracy', tracks.cnn);
  show('mlp-accuracy', tracks.mlp);
  $('step-count').textContent = (cnn?.steps ?? 0).toLocaleString('en-US');
  $('mlp-steps').textContent = (mlp?.steps ?? 0).toLocaleString('en-US');
  stats.dataset.steps = String(cnn?.steps ?? 0);
  stats.dataset.mlpSteps = String(mlp?.steps ?? 0);
  if (tracks.cnn.ema) stats.dataset.cnnLoss = fmt(tracks.cnn.ema.loss);
  const rate = cnn?.meter.rate ?? 0;
  $('steps-per-second').textContent = rate > 0 ? rate.toFixed(rate < 10 ? 1 : 0) : '—';
}

function setPhase(p: Phase, detail = ''): void {
  showPhase(p, stats, { loading: 'loading MNIST…', diverged: 'Press Reset.' }, detail);
  setStatus(p === 'running' ? 'running' : p === 'paused' ? 'done' : p === 'ready' ? 'ready' : p === 'diverged' ? 'done' : 'loading');
  updateStats(true);
}

/** The digit the views show: the drawing when there is one, else the chosen test digit. */
function currentDigit(): { x: Float32Array; source: string } | null {
  const drawn = pad.strokes > 0 ? pad.toInput() : null;
  if (drawn) return { x: drawn, source: 'of your drawing' };
  if (!test) return null;
  return { x: test.x.slice(testIndex * 784, (testIndex + 1) * 784), source: `of test digit ${testIndex + 1} (a ${test.y[testIndex]})` };
}

let digitBusy = false;
let digitAgain = false;
/** Feature maps and both models' probabilities for the current digit; requests while one runs coalesce. */
async function refreshDigit(): Promise<void> {
  if (digitBusy) {
    digitAgain = true;
    return;
  }
  digitBusy = true;
  try {
    do {
      digitAgain = false;
      const d = currentDigit();
      showInput($<HTMLCanvasElement>('draw-input'), d?.x ?? null);
      if (!d) continue;
      $('maps-source').textContent = d.source;
      if (firstLayer) maps.show(d.x, firstLayer.w, firstLayer.b);
      const [a, b] = await Promise.all([cnn.withNet((n) => n.predict(d.x, { batchSize: 1 })), mlp.withNet((n) => n.predict(d.x, { batchSize: 1 }))]);
      cnnBars.show(a ? softmax(a) : null);
      mlpBars.show(b ? softmax(b) : null);
    } while (digitAgain);
  } catch (e) {
    showFatal(e);
  } finally {
    digitBusy = false;
  }
}

let readRun: Promise<void> | null = null;
let lastRead = 0;
let readMs = 0;
/** Read the first layer back between training steps (queued like any prediction: steps go on after it). */
function readFilters(): Promise<void> {
  readRun ??= (async () => {
    lastRead = performance.now();
    const t0 = performance.now();
    const params = await cnn.withNet((net) => net.parameters());
    readMs = performance.now() - t0;
    if (!params) return;
    firstLayer = { w: params['0.weight']!.data, b: params['0.bias']!.data };
    filters.show(firstLayer.w);
    $('filters-scale').textContent = `±${fmt(Number($('filters').dataset.maxAbs), 2)}`;
    await refreshDigit();
  })()
    .catch(showFatal)
    .finally(() => (readRun = null));
  return readRun;
}

function onFrame(now: number): void {
  updateStats();
  // About once a second, or less often where a read takes long, so the views take little from training.
  if (cnn.running && !readRun && now - lastRead > Math.max(1000, 5 * readMs)) void readFilters();
}

async function main(): Promise<void> {
  const rt = await acquireRuntime();
  if (!rt) {
    $('phase').textContent = 'no WebGPU';
    return;
  }
  $('adapter').textContent = `Adapter: ${rt.description}${rt.isSoftware ? ' (software, CPU: expect a fraction of a real GPU’s speed)' : ''}`;
  cnn = new TrainRunner(rt, { phase: setPhase, metrics: (m, x) => onMetrics('cnn', m, x), frame: onFrame, fatal: showFatal });
  // The MLP's steps are cheap: a small budget per frame leaves the GPU to the CNN.
  const mlpPhase = (p: Phase, detail?: string) => p === 'diverged' && setPhase(p, `MLP: ${detail}`);
  mlp = new TrainRunner(rt, { phase: mlpPhase, metrics: (m, x) => onMetrics('mlp', m, x), frame: () => {}, fatal: showFatal }, 2);
  wireControls();
  setPhase('loading');
  const data = await loadData('mnist', { mnistTrain: 8000, mnistTest: 100 });
  test = data.test;
  $('model-summary').textContent = `CNN: ${CNN_LABEL}. MLP: ${MLP_LABEL}. Both Adam (lr 0.002), batches of ${BATCH}, the same 8,000 digits.`;
  const setup = (model: ReturnType<typeof cnnModel>) => async () => ({ model, optimizer: labOptimizer(), data: data.train, batchSize: BATCH, evalSizes: [1] });
  await mlp.setup(setup(mlpModel()));
  await cnn.setup(setup(cnnModel()));
  clearCurves();
  await readFilters();
}

function wireControls(): void {
  $('start').addEventListener('click', () => {
    cnn.start();
    mlp.start();
  });
  $('pause').addEventListener('click', () => {
    Promise.all([mlp.pause(), cnn.pause()])
      .then(() => readFilters())
      .then(() => updateStats(true))
      .catch(showFatal);
  });
  $('reset').addEventListener('click', () => {
    Promise.all([mlp.reset(), cnn.reset()])
      .then(() => {
        clearCurves();
        return readFilters();
      })
      .catch(showFatal);
  });
  $('clear-pad').addEventListener('click', () => {
    pad.clear();
    void refreshDigit();
  });
  $('next-digit').addEventListener('click', () => {
    pad.clear();
    if (test) testIndex = (testIndex + 1) % test.n;
    void refreshDigit();
  });
}

main().catch(showFatal);
