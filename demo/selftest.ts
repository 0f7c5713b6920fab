// The kernel self-test page: every kernel case, run on this browser's WebGPU adapter against the CPU reference.
// When it finishes, <body> gets data-status ('done', 'no-webgpu' or 'error') and data-passed / data-failed /
// data-total, which the end-to-end test waits for; nothing sets data-status before then.
import { NoAdapterError, allKernelCases, createRuntime, type KernelCase, type Runtime } from '../src/index.js';
import { BROWSER_INSTALL_HINT } from '../src/gpu/device.js';
import { renderNav, el, make } from './shell.js';

renderNav('selftest');

type Status = 'done' | 'no-webgpu' | 'error';

/** What one case produced, as the table shows it. */
interface Outcome {
  pass: boolean;
  /** null when the case threw before comparing. */
  maxAbsErr: number | null;
  /** Wall time of the whole case: inputs, CPU reference, GPU work and read-back. */
  ms: number;
  /** The case's own GPU-side time (upload to read-back), when it got that far. */
  gpuMs: number | null;
  message: string;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function finish(status: Status, counts?: { passed: number; failed: number; total: number }): void {
  const body = document.body.dataset;
  if (counts) {
    const table = el('cases').dataset;
    for (const d of [body, table]) {
      d.passed = String(counts.passed);
      d.failed = String(counts.failed);
      d.total = String(counts.total);
    }
  }
  body.status = status;
}

function showNoWebGpu(reason: string, hint = ''): void {
  el('adapter-name').textContent = 'none';
  el('no-webgpu-reason').textContent = reason;
  el('no-webgpu-hint').textContent = hint;
  el('no-webgpu-hint').hidden = !hint;
  el('no-webgpu').hidden = false;
  finish('no-webgpu');
}

function showAdapter(rt: Runtime): void {
  el('adapter-name').textContent = rt.description;
  const chips = el('adapter-features');
  const names = [...rt.features].sort();
  if (rt.isSoftware) chips.append(make('span', 'chip chip-soft', 'software (CPU) adapter'));
  for (const f of names) chips.append(make('span', 'chip', f));
  if (names.length === 0) chips.append(make('span', 'chip chip-none', 'no optional features'));
  chips.title = 'Optional WebGPU features enabled on the device';
}

/** One table row per case, all drawn up front as "pending" so the length of the run is visible at once. */
function drawRows(cases: readonly KernelCase[]): HTMLTableRowElement[] {
  const tbody = el('case-rows');
  const rows = cases.map((c, i) => {
    const tr = make('tr', 'row-pending');
    tr.append(
      make('td', 'num idx', String(i + 1)),
      make('td', 'kernel', c.kernel),
      make('td', 'shape', c.shape),
      make('td', 'num err', ''),
      make('td', 'result'),
      make('td', 'num time', ''),
      make('td', 'details', `seed ${c.seed}`),
    );
    tr.cells[4]!.append(make('span', 'badge badge-pending', 'pending'));
    return tr;
  });
  tbody.replaceChildren(...rows);
  return rows;
}

function setBadge(tr: HTMLTableRowElement, kind: 'running' | 'pass' | 'fail'): void {
  tr.className = `row-${kind}`;
  tr.cells[4]!.replaceChildren(make('span', `badge badge-${kind}`, kind === 'running' ? 'running…' : kind));
}

function fillRow(tr: HTMLTableRowElement, c: KernelCase, o: Outcome): void {
  setBadge(tr, o.pass ? 'pass' : 'fail');
  const err = tr.cells[3]!;
  err.textContent = o.maxAbsErr === null ? '—' : o.maxAbsErr.toExponential(2);
  const time = tr.cells[5]!;
  time.textContent = o.ms.toFixed(1);
  time.title = o.gpuMs === null ? 'whole case' : `whole case; GPU upload to read-back ${o.gpuMs.toFixed(1)} ms`;
  const details = tr.cells[6]!;
  tr.title = o.message;
  if (o.pass) {
    details.textContent = `seed ${c.seed}`;
  } else {
    details.replaceChildren(make('div', 'clamp', o.message));
    // Long failure reports are clamped to a few lines; a click shows all of it.
    tr.classList.add('expandable');
    tr.addEventListener('click', () => tr.classList.toggle('expanded'));
  }
}

/**
 * Run one case inside validation and out-of-memory error scopes, so a GPU error raised by its calls fails that
 * case, with the error's text, instead of only reaching the console.
 */
async function runCase(rt: Runtime, c: KernelCase): Promise<Outcome> {
  const t0 = performance.now();
  const device = rt.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let outcome: Outcome;
  try {
    const r = await c.run(rt);
    outcome = { pass: r.pass, maxAbsErr: r.maxAbsErr, ms: 0, gpuMs: r.ms, message: r.message };
  } catch (e) {
    outcome = { pass: false, maxAbsErr: null, ms: 0, gpuMs: null, message: `${c.kernel} ${c.shape} seed=${c.seed}: ${errorText(e)}` };
  }
  try {
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const gpuError = validation ?? oom;
    if (gpuError) {
      outcome.pass = false;
      outcome.message = `${outcome.message}; GPU ${validation ? 'validation' : 'out-of-memory'} error: ${gpuError.message}`;
    }
  } catch (e) {
    // popErrorScope rejects only when the device is gone; the case already reports why.
    outcome.message = `${outcome.message}; (error scopes: ${errorText(e)})`;
  }
  outcome.ms = performance.now() - t0;
  return outcome;
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

async function runAll(rt: Runtime): Promise<void> {
  const cases = allKernelCases();
  const rows = drawRows(cases);
  el('run').hidden = false;
  const text = el('summary-text');
  const progress = el<HTMLProgressElement>('progress');
  const time = el('summary-time');
  const summary = el('summary');
  progress.max = cases.length;
  let passed = 0;
  let failed = 0;
  const t0 = performance.now();
  summary.className = 'summary summary-running';
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i]!;
    const tr = rows[i]!;
    text.textContent = `Running ${i + 1}/${cases.length} · ${passed} passed · ${failed} failed`;
    setBadge(tr, 'running');
    // Let the browser paint the running row before the case occupies the thread with its CPU reference.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const o = await runCase(rt, c);
    if (o.pass) passed++;
    else failed++;
    fillRow(tr, c, o);
    progress.value = i + 1;
    time.textContent = formatSeconds(performance.now() - t0);
  }
  const total = performance.now() - t0;
  text.textContent = `${passed}/${cases.length} passed${failed ? ` · ${failed} failed` : ''}`;
  time.textContent = `total ${formatSeconds(total)}`;
  summary.className = `summary ${failed ? 'summary-fail' : 'summary-pass'}`;
  progress.hidden = true;
  finish('done', { passed, failed, total: cases.length });
}

async function main(): Promise<void> {
  const insecure = !window.isSecureContext
    ? ' This page is not in a secure context (http on a host other than localhost), and browsers only expose WebGPU to secure contexts.'
    : '';
  if (!navigator.gpu) {
    showNoWebGpu(`${BROWSER_INSTALL_HINT}${insecure}`);
    return;
  }
  let rt: Runtime;
  try {
    rt = await createRuntime();
  } catch (e) {
    if (e instanceof NoAdapterError) {
      showNoWebGpu(`${e.message}${insecure}`);
      return;
    }
    throw e;
  }
  showAdapter(rt);
  try {
    await runAll(rt);
  } finally {
    rt.destroy();
  }
}

main().catch((e: unknown) => {
  el('fatal-message').textContent = e instanceof Error && e.stack ? e.stack : errorText(e);
  el('fatal').hidden = false;
  console.error('[descent self-test]', e);
  finish('error');
});
