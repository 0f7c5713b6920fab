// The Language model lab: a character-level GPT trained on the sonnets in time-budgeted slices (TrainRunner), its
// loss in bits per character against the bigram baseline, validation every VAL_EVERY steps, text sampled every
// GEN_EVERY steps and on demand, and one head's attention weights over a validation window, computed on the CPU
// from the weights read back at each validation. For tests: body[data-status]; #stats[data-steps, data-train-bits,
// data-initial-bits, data-val-bits, data-val-points, data-bigram-bits, data-vocab-size]; #sample[data-text,
// data-count]; #attn (see lm-heatmap.ts).
import type { SequenceReference, StepMetrics, TensorRecord } from '../src/index.js';
import { LineChart } from './lib/chart.js';
import { attentionMap, cpuModel } from './lib/lm-cpu.js';
import { applyQuery, fillAttentionChoices, onConfigChange, readConfig } from './lib/lm-form.js';
import { generateText, type Generated } from './lib/lm-generate.js';
import { AttentionHeatmap } from './lib/lm-heatmap.js';
import { describeModel, lmModel, lmOptimizer, loadText, windows, type LmConfig, type LmText } from './lib/lm-model.js';
import { fmt } from './lib/train-models.js';
import { showPhase } from './lib/phase-pill.js';
import { TrainRunner, coalesced, type Phase } from './lib/train-runner.js';
import { acquireRuntime, el as $, make, renderNav, setStatus, showFatal } from './shell.js';

renderNav('lm');

const EMA = 0.05;
const VAL_EVERY = 50;
const GEN_EVERY = 300;
const BITS = 1 / Math.LN2;

const chart = new LineChart($('loss-chart'), {
  series: [
    { label: 'train', color: '#3157d5', width: 2 },
    { label: 'validation', color: '#c2410c', width: 2, points: true },
    { label: 'bigram', color: '#64748b', width: 1.5, dash: [6, 4] },
  ],
  xLabel: 'step',
  yLabel: 'bits per character',
  height: 230,
});
const stats = $('stats');
const heatmap = new AttentionHeatmap($<HTMLCanvasElement>('attn'), $('attn-readout'));

let runner: TrainRunner;
let text: LmText;
/** The model being trained, with what its views need. */
let cur: { config: LmConfig; model: ReturnType<typeof lmModel>; val: ReturnType<typeof windows> } | null = null;
let ema: number | null = null;
let pendingVal: [number, number] | null = null;
/** The last step drawn on the chart (-1: none). */
let lastX = -1;
let nextVal = VAL_EVERY;
let nextGen = GEN_EVERY;
let sampleIndex = 0;
/** The weights read at the last validation, and their reference forward (built on first use). */
let weights: { record: TensorRecord; ref: SequenceReference | null } | null = null;

function onMetrics(m: StepMetrics, x: number): void {
  const bits = m.loss * BITS;
  ema = ema === null ? bits : ema + EMA * (bits - ema);
  stats.dataset.initialBits ??= fmt(bits);
  stats.dataset.trainBits = fmt(ema);
  const val = pendingVal && x >= pendingVal[0] ? pendingVal[1] : null;
  if (val !== null) pendingVal = null;
  chart.append(x, [ema, val, text.bigramBits]);
  lastX = x;
  if (x >= nextVal) {
    nextVal = x + VAL_EVERY;
    void validate();
  }
  if (x >= nextGen) {
    nextGen = x + GEN_EVERY;
    void generate();
  }
}

/**
 * Validation loss and a fresh read of the weights, queued between steps (charted at the steps submitted by then);
 * then the attention view is redrawn. A request while one runs is run once after it.
 */
const validate = coalesced(validateOnce, showFatal);

async function validateOnce(): Promise<void> {
  const c = cur;
  if (!c) return;
  const r = await runner.withNet(async (net) => ({
    x: runner.steps,
    ev: await net.evaluate(c.val.validation, { batchSize: c.val.validationRows }),
    record: await net.parameters(),
  }));
  if (!r || c !== cur) return;
  const bits = r.ev.loss * BITS;
  if (r.x === 0 && lastX < 0) {
    chart.append(0, [null, bits, text.bigramBits]);
    lastX = 0;
  } else if (r.x <= lastX) chart.put(r.x, [null, bits, null]);
  else pendingVal = [r.x, bits];
  stats.dataset.valBits = fmt(bits);
  stats.dataset.valPoints = String(Number(stats.dataset.valPoints ?? 0) + 1);
  $('val-bits').textContent = bits.toFixed(3);
  weights = { record: r.record, ref: null };
  drawAttention();
}

/** The attention view for the chosen block and head, over validation window `sampleIndex`. */
function drawAttention(): void {
  if (!cur || !weights) return;
  const T = cur.config.context;
  const windowsOf = Math.floor(text.validationIds.length / T);
  const start = (sampleIndex % windowsOf) * T;
  const ids = text.validationIds.subarray(start, start + T);
  weights.ref ??= cpuModel(cur.model, lmOptimizer(cur.config), weights.record);
  const layer = Number($<HTMLSelectElement>('attn-layer').value);
  const head = Number($<HTMLSelectElement>('attn-head').value);
  heatmap.show(attentionMap(weights.ref, ids, layer, head, cur.config.heads), [...text.corpus.tokenizer.decode(ids)]);
  $('attn-text').textContent = text.corpus.tokenizer.decode(ids);
}

let generating = false;
/** Sample text after the prompt with the current weights; shown with the prompt in grey. */
async function generate(): Promise<void> {
  const c = cur;
  if (generating || !c) return;
  generating = true;
  $<HTMLButtonElement>('generate').disabled = true;
  const sample = $('sample');
  const err = $('gen-error');
  try {
    const count = Number(sample.dataset.count ?? 0) + 1;
    const temperature = Number($<HTMLInputElement>('temperature').value);
    const out: Generated | string = await generateText(runner, text.corpus.tokenizer, $<HTMLInputElement>('prompt').value, { temperature, seed: count });
    if (typeof out === 'string') {
      err.hidden = false;
      err.textContent = out;
      return;
    }
    err.hidden = true;
    if (c !== cur) return;
    sample.replaceChildren(make('span', 'lm-prompt-text', out.prompt), out.text);
    Object.assign(sample.dataset, { text: out.text, count: String(count) });
    $('gen-source').textContent = `after ${runner.steps.toLocaleString('en-US')} steps`;
  } catch (e) {
    showFatal(e);
  } finally {
    generating = false;
    $<HTMLButtonElement>('generate').disabled = !runner.net;
  }
}

function clearCurves(): void {
  ema = null;
  pendingVal = null;
  lastX = -1;
  nextVal = VAL_EVERY;
  nextGen = GEN_EVERY;
  chart.clear();
  for (const k of ['initialBits', 'trainBits', 'valBits', 'valPoints']) delete stats.dataset[k];
  $('train-bits').textContent = $('val-bits').textContent = '—';
  updateStats(true);
}

let lastStats = 0;
function updateStats(force = false): void {
  const now = performance.now();
  if (!force && now - lastStats < 200) return;
  lastStats = now;
  const steps = runner?.steps ?? 0;
  $('step-count').textContent = steps.toLocaleString('en-US');
  stats.dataset.steps = String(steps);
  if (ema !== null) $('train-bits').textContent = ema.toFixed(3);
  const rate = runner?.meter.rate ?? 0;
  $('steps-per-second').textContent = rate > 0 ? rate.toFixed(rate < 10 ? 1 : 0) : '—';
}

function setPhase(p: Phase, detail = ''): void {
  const idle = showPhase(p, stats, { loading: 'loading the sonnets…', diverged: 'Lower the learning rate and press Reset.' }, detail);
  $<HTMLButtonElement>('generate').disabled = !(idle || p === 'running') || generating;
  setStatus(p === 'running' ? 'running' : p === 'paused' || p === 'diverged' ? 'done' : p === 'ready' ? 'ready' : 'loading');
  updateStats(true);
}

/** A network for the form's configuration (replacing the current one; training goes on if it was running). */
async function build(): Promise<void> {
  const { config, problem } = readConfig();
  if (problem) return;
  const model = lmModel(config, text.corpus.tokenizer.size);
  const val = windows(text, config.context);
  $('model-summary').textContent = describeModel(config, model);
  const made = await runner.setup(async () => ({
    model,
    optimizer: lmOptimizer(config),
    data: val.train,
    batchSize: config.batch,
    evalSizes: [val.validationRows],
  }));
  if (!made) return;
  cur = { config, model, val };
  weights = null;
  fillAttentionChoices(config);
  clearCurves();
  await validate();
}

async function main(): Promise<void> {
  applyQuery(location.search);
  const rt = await acquireRuntime();
  if (!rt) {
    $('phase').textContent = 'no WebGPU';
    return;
  }
  $('adapter').textContent = `Adapter: ${rt.description}${rt.isSoftware ? ' (software, CPU: expect a fraction of a real GPU’s speed)' : ''}`;
  runner = new TrainRunner(rt, { phase: setPhase, metrics: onMetrics, frame: () => updateStats(), fatal: showFatal });
  setPhase('loading');
  text = await loadText();
  const V = text.corpus.tokenizer.size;
  Object.assign(stats.dataset, { bigramBits: fmt(text.bigramBits), vocabSize: String(V) });
  $('bigram-bits').textContent = text.bigramBits.toFixed(3);
  $('chart-note').textContent =
    `uniform guess log₂ ${V} = ${Math.log2(V).toFixed(2)}, unigram ${text.unigramBits.toFixed(2)}, bigram ${text.bigramBits.toFixed(2)}`;
  wireControls();
  await build();
}

function wireControls(): void {
  $('start').addEventListener('click', () => runner.start());
  $('pause').addEventListener('click', () => {
    runner
      .pause()
      .then(() => validate())
      .catch(showFatal);
  });
  $('reset').addEventListener('click', () => {
    runner
      .reset()
      .then(() => {
        clearCurves();
        return validate();
      })
      .catch(showFatal);
  });
  onConfigChange(
    () => void build().catch(showFatal),
    () => {
      const { config, problem } = readConfig();
      if (problem || !cur) return;
      cur = { ...cur, config: { ...cur.config, lr: config.lr } };
      $('model-summary').textContent = describeModel(cur.config, cur.model);
      runner.setOptimizer(lmOptimizer(config)).catch(showFatal);
    },
  );
  $('generate').addEventListener('click', () => void generate());
  $('prompt').addEventListener('keydown', (e) => e.key === 'Enter' && void generate());
  $('temperature').addEventListener('input', () => ($('temperature-value').textContent = $<HTMLInputElement>('temperature').value));
  for (const id of ['attn-layer', 'attn-head']) $(id).addEventListener('change', () => drawAttention());
  $('next-sample').addEventListener('click', () => {
    sampleIndex++;
    drawAttention();
  });
}

main().catch(showFatal);
