// The benchmark page: Descent's suite (src/bench) on this browser's WebGPU adapter, with TF.js and jax-js on the
// same adapter when asked. Never starts by itself (it loads the machine for a minute or more) unless the URL
// says ?run=1; ?quick=1 picks the small preset. <body data-status>: 'ready' once the adapter is there,
// 'running', then 'done' (or 'error', 'no-webgpu'); the end-to-end test waits for it.
import type { Runtime } from '../src/gpu/runtime.js';
import { PEER_SUITES, formatReport, type BenchReport, type Suite } from '../src/bench/suite.js';
import { TIMING_METHODS } from '../src/bench/timing.js';
import { QUICK_CONV_LAYERS } from '../src/bench/conv.js';
import { QUICK_WORKLOADS } from '../src/bench/train.js';
import { acquireRuntime, renderNav, setStatus, showFatal, el, make } from './shell.js';
import { DEFAULTS, QUICK, parseParameters, parseSizes, settingsFromUrl, type BenchSettings } from './lib/bench-form.js';
import { runSuites } from './lib/bench-run.js';
import { MatmulChart } from './lib/bench-chart.js';
import { convTable } from './lib/bench-conv-table.js';
import { failureFromLog, fmtInt, matmulTable, memoryTable, peerLabel, trainingTable } from './lib/bench-tables.js';

renderNav('bench');

const SUITE_TITLES: Record<Suite, string> = {
  matmul: 'matmul',
  conv: 'convolution',
  memory: 'memory-bound kernels',
  train: 'training',
  gpt: 'GPT training',
  cold: 'cold start',
};

const form = el<HTMLFormElement>('controls');
const suiteBoxes = [...form.querySelectorAll<HTMLInputElement>('input[name="suite"]')];
const peersBox = el<HTMLInputElement>('peers');
const tuneBox = el<HTMLInputElement>('tune');
const sizesInput = el<HTMLInputElement>('sizes');
const paramsInput = el<HTMLInputElement>('params');
const runButton = el<HTMLButtonElement>('run');
const hint = el('run-hint');

let maxParameters = Infinity;
/** The quick preset's small conv layer and LeNet batch (not a form control: the presets set it). */
let small = false;
/** The adapter is there (the button may be enabled). */
let ready = false;
/** A run is in progress (every control is disabled). */
let busy = false;
let chart: MatmulChart | null = null;
let downloadUrl = '';

function applySettings(s: BenchSettings): void {
  for (const b of suiteBoxes) b.checked = s.suites.includes(b.value as Suite);
  peersBox.checked = s.peers;
  tuneBox.checked = s.tune;
  small = s.small;
  sizesInput.value = s.sizes.join(',');
  paramsInput.value = s.parameters.toLocaleString('en');
  validate();
}

function showFieldError(input: HTMLInputElement, errorId: string, message: string | undefined): void {
  const p = el(errorId);
  p.textContent = message ?? '';
  p.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** The form's settings, or null after marking what is wrong. */
function validate(): BenchSettings | null {
  const sizes = parseSizes(sizesInput.value);
  const params = parseParameters(paramsInput.value, maxParameters);
  const suites = suiteBoxes.filter((b) => b.checked).map((b) => b.value as Suite);
  const needSizes = suites.includes('matmul');
  const needParams = suites.includes('memory');
  showFieldError(sizesInput, 'sizes-error', needSizes ? sizes.error : undefined);
  showFieldError(paramsInput, 'params-error', needParams ? params.error : undefined);
  sizesInput.disabled = busy || !needSizes;
  paramsInput.disabled = busy || !needParams;
  tuneBox.disabled = busy || !needSizes;
  peersBox.disabled = busy || !suites.some((x) => PEER_SUITES.includes(x));
  const ok = suites.length > 0 && (!needSizes || !!sizes.value) && (!needParams || !!params.value);
  if (!busy) {
    runButton.disabled = !ready || !ok;
    hint.textContent = suites.length === 0 ? 'Choose at least one suite.' : 'Takes a minute or more and loads the machine.';
  }
  if (!ok) return null;
  return {
    suites,
    peers: peersBox.checked,
    tune: tuneBox.checked,
    sizes: sizes.value ?? DEFAULTS.sizes,
    parameters: params.value ?? DEFAULTS.parameters,
    small,
  };
}

function setBusy(on: boolean): void {
  busy = on;
  for (const f of form.querySelectorAll('fieldset')) f.disabled = on;
  for (const b of form.querySelectorAll('button')) b.disabled = on;
  runButton.textContent = on ? 'Running…' : 'Run benchmarks';
  if (!on) validate();
}

// ---- the log ----------------------------------------------------------------------------------------------

const log = el<HTMLOListElement>('log');
let runStart = 0;
let failures = new Map<string, string>();

function logLine(text: string, kind: 'info' | 'head' | 'warn' = 'info'): void {
  const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  const li = make('li', `log-${kind}`);
  li.append(make('span', 'log-time', `${((performance.now() - runStart) / 1000).toFixed(1).padStart(5)} s`), make('span', 'log-text', text));
  log.append(li);
  if (stick) log.scrollTop = log.scrollHeight;
  const f = failureFromLog(text);
  if (f) {
    failures.set(f[0], f[1]);
    li.className = 'log-warn';
  } else if (text.startsWith('warning:')) li.className = 'log-warn';
}

// ---- results ----------------------------------------------------------------------------------------------

function dlItem(dl: HTMLElement, term: string, value: string | Node, id?: string): void {
  const dt = make('dt', undefined, term);
  const dd = make('dd');
  if (id) dd.id = id;
  dd.append(value);
  dl.append(dt, dd);
}

function tuningText(t: unknown): string {
  if (!t || typeof t !== 'object') return 'untuned defaults';
  return Object.entries(t as Record<string, { variant: string; workgroup: number[] }>)
    .map(([cls, c]) => `${cls} ${c.variant} ${c.workgroup.join('×')}`)
    .join(', ');
}

function renderSummary(r: BenchReport, seconds: number): void {
  const dl = el('summary');
  dl.replaceChildren();
  dlItem(
    dl,
    'Run',
    `Descent ${r.descent} · ${new Date(r.date).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })} · ${seconds.toFixed(0)} s`,
  );
  dlItem(dl, 'Adapter', r.adapter);
  const peers = make('ul', 'peer-list');
  peers.id = 'peer-status';
  if (r.peers.length === 0) peers.append(make('li', 'muted', 'not included in this run'));
  for (const p of r.peers) {
    const li = make('li', p.error ? 'peer-unavailable' : 'peer-ok');
    li.dataset.peer = p.name;
    li.dataset.state = p.error ? 'unavailable' : 'ok';
    li.append(make('strong', undefined, peerLabel(p.name)), ` ${p.version}`);
    if (p.error) li.append(make('span', 'peer-error', ` unavailable: ${p.error}`));
    else li.append(make('span', 'muted', ' on this adapter'));
    peers.append(li);
  }
  dlItem(dl, 'Peers', peers);
  const method = r.matmul[0]?.timing.method ?? r.memory[0]?.timing.method ?? r.training[0]?.timing.method;
  if (method) {
    const matmul = r.matmul.length
      ? `; matmul kernels: ${TIMING_METHODS[r.matmul[0]!.timing.method]}; “auto (wall clock)” and the peers: ${TIMING_METHODS['wall-clock-submits']}`
      : '';
    dlItem(dl, 'Timing', `median of 5 after a warm-up${matmul}`);
  }
  if (r.matmul.length) dlItem(dl, 'Matmul “auto”', tuningText(r.tuning));
  if (r.coldStart) {
    const v = make('span', undefined);
    v.append(make('strong', 'cold-ms', `${fmtInt(r.coldStart.ms)} ms`), ` from createRuntime to the first finished step of the ${r.coldStart.workload}`);
    dlItem(dl, 'Cold start', v, 'cold-start');
    el('cold-start').dataset.value = String(r.coldStart.ms);
  }
}

function renderTables(r: BenchReport): void {
  const box = (id: string, t: HTMLElement | null) => {
    const b = el(id);
    b.replaceChildren(...(t ? [t] : []));
    b.hidden = !t;
  };
  box('matmul-box', r.matmul.length ? matmulTable(r, failures) : null);
  box('conv-box', r.conv.length ? convTable(r, failures) : null);
  box('training-box', r.training.length ? trainingTable(r, failures) : null);
  box('memory-box', r.memory.length ? memoryTable(r) : null);
}

function renderReport(r: BenchReport, seconds: number): void {
  el('results').hidden = false;
  renderSummary(r, seconds);
  renderTables(r);
  const chartBox = el('chart').closest('figure')!;
  chartBox.hidden = r.matmul.length === 0;
  el('results').classList.toggle('no-chart', r.matmul.length === 0);
  if (r.matmul.length) {
    chart ??= new MatmulChart(el('chart'));
    chart.show(r);
  }
  el('report-text').textContent = formatReport(r);
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([JSON.stringify(r, null, 1)], { type: 'application/json' }));
  const a = el<HTMLAnchorElement>('download');
  a.href = downloadUrl;
  a.download = `descent-bench-${r.date.slice(0, 19).replace(/[:T]/g, '-')}.json`;
}

// ---- running ----------------------------------------------------------------------------------------------

async function run(rt: Runtime, s: BenchSettings): Promise<void> {
  setBusy(true);
  setStatus('running');
  failures = new Map();
  log.replaceChildren();
  runStart = performance.now();
  const progress = el<HTMLDetailsElement>('progress');
  progress.hidden = false;
  progress.open = true;
  const text = el('progress-text');
  const elapsed = el('elapsed');
  const tick = setInterval(() => (elapsed.textContent = `${((performance.now() - runStart) / 1000).toFixed(0)} s`), 500);
  const total = s.suites.length;
  logLine(
    `suites: ${s.suites.join(', ')}; matmul n = ${s.sizes.join(', ')}; ${s.parameters.toLocaleString('en')} parameters; ${s.small ? 'small conv layer, LeNet-5 at batch 8' : 'full-size conv layers, LeNet-5 at batch 64'}; peers ${s.peers ? 'on' : 'off'}`,
    'head',
  );
  try {
    const report = await runSuites(rt, {
      suites: s.suites,
      sizes: s.sizes,
      parameters: s.parameters,
      ...(s.small ? { convLayers: QUICK_CONV_LAYERS, workloads: QUICK_WORKLOADS } : {}),
      peers: s.peers,
      peerSuites: PEER_SUITES,
      tune: s.tune,
      environment: navigator.userAgent,
      log: (line) => logLine(line),
      onSuite: (i, suite) => {
        const what =
          suite === 'tuning' ? 'tuning matmul for this adapter' : suite === 'peers' ? 'loading TF.js and jax-js' : `${i + 1}/${total}: ${SUITE_TITLES[suite]}`;
        text.textContent = `Running ${what}…`;
        if (i >= 0) logLine(`— ${SUITE_TITLES[suite as Suite]} —`, 'head');
      },
    });
    const seconds = (performance.now() - runStart) / 1000;
    logLine(`finished in ${seconds.toFixed(1)} s`, 'head');
    text.textContent = `Finished in ${seconds.toFixed(1)} s · ${log.children.length} log lines`;
    progress.open = false;
    elapsed.textContent = '';
    renderReport(report, seconds);
    document.body.dataset.seconds = seconds.toFixed(1);
    setStatus('done');
  } catch (e) {
    text.textContent = 'Stopped by an error';
    logLine(`error: ${e instanceof Error ? e.message : String(e)}`, 'warn');
    showFatal(e);
  } finally {
    clearInterval(tick);
    setBusy(false);
  }
}

async function main(): Promise<void> {
  const { settings, run: autoRun } = settingsFromUrl(new URLSearchParams(location.search));
  applySettings(settings);
  el('environment').textContent = navigator.userAgent;
  form.addEventListener('input', () => validate());
  el('quick').addEventListener('click', () => applySettings(structuredClone(QUICK) as BenchSettings));
  el('defaults').addEventListener('click', () => applySettings(structuredClone(DEFAULTS) as BenchSettings));

  const rt = await acquireRuntime();
  if (!rt) {
    el('adapter-name').textContent = 'none';
    hint.textContent = 'No WebGPU adapter: nothing to measure.';
    return;
  }
  el('adapter-name').textContent = rt.description;
  const chips = el('adapter-features');
  if (rt.isSoftware) chips.append(make('span', 'chip chip-soft', 'software (CPU) adapter'));
  for (const f of [...rt.features].sort()) chips.append(make('span', 'chip', f));
  const limits = rt.device.limits;
  maxParameters = Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4);
  ready = true;
  validate();
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const s = validate();
    if (s && !busy) void run(rt, s);
  });
  setStatus('ready');
  if (autoRun) {
    const s = validate();
    if (s) await run(rt, s);
    else
      showFatal(
        new Error(`?run=1 with settings that do not validate: ${[el('sizes-error').textContent, el('params-error').textContent].filter(Boolean).join(' ')}`),
      );
  }
}

main().catch((e: unknown) => showFatal(e));
