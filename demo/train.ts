// The Train lab: choose data, a network, an optimizer and a batch mode; train live on the GPU with the loss
// and accuracy curves, the decision boundary (2-D sets) or test digits and a drawing pad (MNIST).
// For tests: body[data-status] ('ready', 'running', 'done', 'error'), #stats[data-built] (the dataset of the
// network in place), [data-steps], [data-first-loss], [data-last-loss], #steps-per-second, charts'
// [data-points], #boundary[data-draws], #digit-grid[data-predicted], #probs[data-sum].
import type { Dataset, Network, Runtime, StepMetrics } from '../src/index.js';
import { LineChart } from './lib/chart.js';
import { BoundaryView } from './lib/train-boundary.js';
import { DigitGrid, DrawPad, ProbabilityBars, showInput, softmax } from './lib/train-digits.js';
import {
  applyOptimizerDefaults,
  applyPreset,
  architectureChoice,
  batchChoice,
  byId as $,
  datasetChoice,
  fillMenus,
  optimizerChoice,
} from './lib/train-form.js';
import {
  buildModel,
  dataKind,
  describeModel,
  describeOptimizer,
  fmt,
  loadData,
  makeOptimizer,
  type DataKind,
  type DatasetId,
  type LoadedData,
} from './lib/train-models.js';
import { showPhase } from './lib/phase-pill.js';
import { TrainRunner, type Phase } from './lib/train-runner.js';
import { acquireRuntime, renderNav, setStatus, showFatal } from './shell.js';

renderNav('train');
fillMenus();

const input = (id: string) => $<HTMLInputElement>(id);
const EMA = 0.05;
const MNIST_EVAL = 500;

const lossChart = new LineChart($('loss-chart'), {
  series: [
    { label: 'per step', color: 'rgba(49, 87, 213, 0.28)', width: 1 },
    { label: 'smoothed', color: '#3157d5', width: 2 },
  ],
  xLabel: 'step',
  logY: true,
  height: 175,
});
const accChart = new LineChart($('acc-chart'), { series: accSeries('2d'), xLabel: 'step', yRange: [0, 1], height: 150 });
function accSeries(kind: DataKind) {
  const s = [
    { label: 'per step', color: 'rgba(26, 127, 55, 0.28)', width: 1 },
    { label: 'smoothed', color: '#1a7f37', width: 2 },
  ];
  return kind === 'mnist' ? [...s, { label: `test (${MNIST_EVAL})`, color: '#c2410c', width: 2, points: true }] : s;
}

const stats = $('stats');
let rt: Runtime;
let runner: TrainRunner;
let loaded: LoadedData | null = null;
const cache = new Map<DatasetId, LoadedData>();
let kind: DataKind = '2d';
let boundary: BoundaryView | null = null;
let digits: DigitGrid | null = null;
let testSubset: Dataset | null = null;
const pad = new DrawPad($<HTMLCanvasElement>('draw-pad'), () => void predictDrawing());
const bars = new ProbabilityBars($('probs'));
let ema: { loss: number; acc: number } | null = null;
let firstLoss: number | null = null;
let lastX = 0;
let pendingTest: { x: number; acc: number }[] = [];
let lastVisual = 0;
let lastEval = 0;
let lastStats = 0;
let visualRun: Promise<void> | null = null;
let visualAgain = false;

function setPhase(p: Phase, detail = ''): void {
  const idle = showPhase(p, stats, { loading: 'loading MNIST (8 MB)…', diverged: 'Press Reset, lower the learning rate, or both.' }, detail);
  $<HTMLButtonElement>('step').disabled = !idle;
  // 'paused' becomes 'done' once the views show the final weights (see settle).
  if (p !== 'paused') setStatus(p === 'running' ? 'running' : p === 'diverged' ? 'done' : p === 'ready' ? 'ready' : 'loading');
  if (p !== 'running') updateStats(true);
}

function clearCurves(): void {
  delete stats.dataset.lastAccuracy;
  delete stats.dataset.testAccuracy;
  lossChart.clear();
  accChart.clear();
  ema = null;
  firstLoss = null;
  lastX = 0;
  pendingTest = [];
  delete stats.dataset.firstLoss;
  delete stats.dataset.lastLoss;
  $('loss').textContent = $('accuracy').textContent = '—';
  $('test-accuracy').textContent = '';
  updateStats(true);
}

function onMetrics(m: StepMetrics, x: number): void {
  ema = ema ? { loss: ema.loss + EMA * (m.loss - ema.loss), acc: ema.acc + EMA * (m.accuracy - ema.acc) } : { loss: m.loss, acc: m.accuracy };
  firstLoss ??= m.loss;
  lastX = x;
  lossChart.append(x, [m.loss, ema.loss]);
  while (pendingTest.length && pendingTest[0]!.x < x) {
    const t = pendingTest.shift()!;
    accChart.append(t.x, [null, null, t.acc]);
  }
  const test = pendingTest.length && pendingTest[0]!.x === x ? pendingTest.shift()!.acc : null;
  accChart.append(x, [m.accuracy, ema.acc, test]);
  stats.dataset.firstLoss = String(firstLoss);
  stats.dataset.lastLoss = String(m.loss);
  stats.dataset.lastAccuracy = String(m.accuracy);
}

function updateStats(force = false): void {
  const now = performance.now();
  if (!force && now - lastStats < 200) return;
  lastStats = now;
  const steps = runner?.steps ?? 0;
  $('step-count').textContent = steps.toLocaleString('en-US');
  stats.dataset.steps = String(steps);
  stats.dataset.delivered = String(lastX);
  $('epoch').textContent = String(runner?.session?.epoch ?? 0);
  if (ema) {
    $('loss').textContent = fmt(ema.loss);
    $('accuracy').textContent = `${(100 * ema.acc).toFixed(1)}%`;
  }
  const rate = runner?.meter.rate ?? 0;
  const batch = runner?.session?.batchSize ?? 0;
  $('steps-per-second').textContent = rate > 0 ? rate.toFixed(rate < 10 ? 1 : 0) : '—';
  $('samples-per-second').textContent = rate > 0 ? Math.round(rate * batch).toLocaleString('en-US') : '—';
  stats.dataset.stepsPerSecond = rate.toFixed(2);
}

/**
 * GPU time of the last view update and test evaluation. Views refresh every 250 ms (evaluations every 2 s), or
 * less often where predicting takes long (a software adapter), so that they never take more than about a fifth
 * of the GPU's time from training.
 */
let visualMs = 0;
let evalMs = 0;

/** Time `fn` alone on the GPU: wait for the training steps already submitted, then measure. */
async function timed<T>(net: Network, fn: () => Promise<T>): Promise<[T, number]> {
  await net.rt.device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

/** Redraw the boundary or the digit grid (and the drawing's probabilities) from the current weights. */
async function drawVisuals(): Promise<void> {
  lastVisual = performance.now();
  await runner.withNet(async (net) => {
    const b = boundary;
    const d = digits;
    if (b) {
      const [logits, ms] = await timed(net, () => net.predict(b.grid, { batchSize: b.grid.length / 2 }));
      b.draw(logits);
      visualMs = ms;
    }
    if (d) {
      const [logits, ms] = await timed(net, () => net.predict(d.inputs, { batchSize: d.count }));
      d.show(logits);
      visualMs = ms;
    }
  });
  if (digits) $('digits-score').textContent = `${digits.container.dataset.correct}/${digits.count} right`;
  if (digits && pad.strokes > 0) await predictDrawing();
}

/**
 * Bring the views up to date. While an update is in flight another request runs once more after it, so what
 * is shown always reflects the weights at the time of the last request; the promise resolves after that.
 */
function updateVisuals(): Promise<void> {
  if (visualRun) {
    visualAgain = true;
    return visualRun;
  }
  visualRun = (async () => {
    do {
      visualAgain = false;
      await drawVisuals();
    } while (visualAgain);
  })()
    .catch(showFatal)
    .finally(() => (visualRun = null));
  return visualRun;
}

/** MNIST: accuracy on held-out digits, plotted at the step it was measured. */
function evaluateTest(): void {
  const ds = testSubset;
  if (!ds) return;
  lastEval = performance.now();
  runner
    .withNet(async (net) => {
      const [r, ms] = await timed(net, () => net.evaluate(ds, { batchSize: ds.n }));
      evalMs = ms;
      return { r, x: runner.steps };
    })
    .then((out) => {
      if (!out || testSubset !== ds) return;
      if (out.x <= lastX) accChart.put(out.x, [null, null, out.r.accuracy]);
      else pendingTest.push({ x: out.x, acc: out.r.accuracy });
      $('test-accuracy').textContent = `test ${(100 * out.r.accuracy).toFixed(1)}% at step ${out.x}`;
      stats.dataset.testAccuracy = String(out.r.accuracy);
    })
    .catch(showFatal);
}

let drawBusy = false;
let drawDirty = false;
async function predictDrawing(): Promise<void> {
  if (drawBusy) {
    drawDirty = true;
    return;
  }
  drawBusy = true;
  try {
    do {
      drawDirty = false;
      const x = pad.toInput();
      showInput($<HTMLCanvasElement>('draw-input'), x);
      const logits = x ? await runner.withNet((net) => net.predict(x, { batchSize: 1 })) : null;
      bars.show(logits ? softmax(logits) : null);
    } while (drawDirty);
  } catch (e) {
    showFatal(e);
  } finally {
    drawBusy = false;
  }
}

function onFrame(now: number): void {
  updateStats();
  if (!runner.running) return;
  if (!visualRun && now - lastVisual > Math.max(kind === 'mnist' ? 1000 : 250, 5 * visualMs)) void updateVisuals();
  if (kind === 'mnist' && now - lastEval > Math.max(2000, 5 * evalMs)) evaluateTest();
}

let rebuildTimer = 0;
/** Build the network for the form's choices (debounced: several quick changes make one rebuild). */
function scheduleRebuild(): void {
  clearTimeout(rebuildTimer);
  rebuildTimer = window.setTimeout(() => void rebuild(), 120);
}

async function rebuild(): Promise<void> {
  const id = datasetChoice();
  delete stats.dataset.built;
  const ok = await runner.setup(async () => {
    let data = cache.get(id);
    if (!data) {
      if (id === 'mnist') setPhase('loading');
      data = await loadData(id);
      cache.set(id, data);
    }
    loaded = data;
    const arch = architectureChoice();
    const ds = data.train;
    setupViews(data);
    const size = batchChoice(ds.n);
    const bnWarning = arch.norm === 'batch' && size === 1 ? ' BatchNorm needs batches of 2 or more: with one example every feature normalises to 0.' : '';
    $('model-summary').textContent = `${describeModel(ds.inputDim, ds.classes, arch)} · ${ds.n.toLocaleString('en-US')} examples, batch ${size}.${bnWarning}`;
    return {
      model: buildModel(ds.inputDim, ds.classes, arch),
      optimizer: makeOptimizer(optimizerChoice()),
      data: ds,
      batchSize: size,
      evalSizes: data.test ? [24, 1, MNIST_EVAL] : [4096],
    };
  });
  if (!ok || loaded?.id !== id) return;
  clearCurves();
  await updateVisuals();
  if (kind === 'mnist') evaluateTest();
  stats.dataset.built = id;
}

function setupViews(data: LoadedData): void {
  const k = dataKind(data.id);
  $('visual-2d').hidden = k !== '2d';
  $('visual-mnist').hidden = k !== 'mnist';
  if (accChart.series.length !== accSeries(k).length) accChart.setSeries(accSeries(k));
  boundary = k === '2d' ? new BoundaryView($<HTMLCanvasElement>('boundary'), data.train, 64) : null;
  boundary?.draw(null);
  if (k === 'mnist' && (!digits || digits.test !== data.test)) digits = new DigitGrid($('digit-grid'), data.test!, 24);
  if (k !== 'mnist') digits = null;
  testSubset =
    k === 'mnist'
      ? { ...data.test!, name: 'mnist/test-500', n: MNIST_EVAL, x: data.test!.x.subarray(0, MNIST_EVAL * 784), y: data.test!.y.subarray(0, MNIST_EVAL) }
      : null;
}

function wireControls(): void {
  $('dataset').addEventListener('change', () => {
    const next = dataKind(datasetChoice());
    if (next !== kind) {
      kind = next;
      applyPreset(kind);
    }
    scheduleRebuild();
  });
  for (const id of ['depth', 'width', 'activation', 'norm', 'residual', 'seed', 'batch-size', 'batch-full', 'batch-sgd', 'batch-mini']) {
    $(id).addEventListener('change', scheduleRebuild);
  }
  input('batch-size').addEventListener('focus', () => (input('batch-mini').checked = true));
  $('optimizer').addEventListener('change', () => {
    applyOptimizerDefaults(kind);
    scheduleRebuild();
  });
  for (const id of ['lr', 'momentum', 'beta1', 'beta2', 'wd']) {
    input(id).addEventListener('change', () => {
      const hint = $('optimizer-hint');
      try {
        const def = makeOptimizer(optimizerChoice());
        hint.textContent = describeOptimizer(optimizerChoice());
        hint.classList.remove('hint-error');
        runner.setOptimizer(def).catch(showFatal);
      } catch (e) {
        hint.textContent = e instanceof Error ? e.message : String(e);
        hint.classList.add('hint-error');
      }
    });
  }
  input('log-loss').addEventListener('change', () => lossChart.setLogY(input('log-loss').checked));
  $('start').addEventListener('click', () => runner.start());
  const settle = async (): Promise<void> => {
    updateStats(true);
    if (kind === 'mnist') evaluateTest();
    await updateVisuals();
  };
  $('pause').addEventListener('click', () => {
    runner
      .pause()
      .then(settle)
      .then(() => {
        if (!runner.running && stats.dataset.phase === 'paused') setStatus('done');
      })
      .catch(showFatal);
  });
  $('step').addEventListener('click', () => void runner.stepOnce().then(settle).catch(showFatal));
  $('reset').addEventListener('click', () => {
    runner
      .reset()
      .then(() => {
        clearCurves();
        return updateVisuals();
      })
      .catch(showFatal);
  });
  $('clear-pad').addEventListener('click', () => {
    pad.clear();
    showInput($<HTMLCanvasElement>('draw-input'), null);
    bars.show(null);
  });
}

async function main(): Promise<void> {
  const acquired = await acquireRuntime();
  if (!acquired) {
    $('phase').textContent = 'no WebGPU';
    return;
  }
  rt = acquired;
  $('adapter').textContent = `Adapter: ${rt.description}${rt.isSoftware ? ' (software, CPU: expect a fraction of a real GPU’s speed)' : ''}`;
  runner = new TrainRunner(rt, { phase: setPhase, metrics: onMetrics, frame: onFrame, fatal: showFatal });
  wireControls();
  applyOptimizerDefaults(kind);
  showInput($<HTMLCanvasElement>('draw-input'), null);
  await rebuild();
}

main().catch(showFatal);
