// The benchmark report as HTML tables: matmul GFLOP/s by size and kernel with the peers and the Descent /
// best-peer ratio, memory-bound GB/s against a copy of the same bytes, training throughput beside the peers,
// and the cold start. Cells carry data-* values (numbers as measured) for tests and for copying.
import type { BenchReport } from '../../src/bench/suite.js';
import { autoShortfalls, shortfallWarning, wallClockVsPeers } from '../../src/bench/compare.js';
import { TIMING_METHODS } from '../../src/bench/timing.js';
import { MATMUL_VARIANTS } from '../../src/kernels/matmul.js';
import { make } from '../shell.js';

type MatmulRow = BenchReport['matmul'][number];

/** How the page names a peer library. */
export const PEER_LABELS: Record<string, string> = { tfjs: 'TF.js', jax: 'jax-js' };
export const peerLabel = (name: string): string => PEER_LABELS[name] ?? name;

/** 3 significant figures, at most 2 decimals: 0.873, 7.26, 43.1, 512. */
export function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  return x.toFixed(a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

export const fmtInt = (x: number): string => Math.round(x).toLocaleString('en');
export const fmtMiB = (bytes: number): string => `${fmt(bytes / 2 ** 20)} MiB`;

export function numCell(value: number | undefined, attrs: Record<string, string> = {}, title?: string): HTMLTableCellElement {
  const td = make('td', 'num', fmt(value));
  if (value !== undefined && Number.isFinite(value)) td.dataset.value = String(value);
  else td.classList.add('missing');
  for (const [k, v] of Object.entries(attrs)) td.dataset[k] = v;
  if (title) td.title = title;
  return td;
}

/** A ratio cell: "1.23×", green above 1 (Descent faster), red below. */
export function ratioCell(ratio: number | undefined, title: string): HTMLTableCellElement {
  const td = make('td', 'num ratio');
  if (ratio === undefined || !Number.isFinite(ratio)) {
    td.textContent = '—';
    td.classList.add('missing');
    td.title = 'no peer figure to compare with';
    return td;
  }
  td.textContent = `${ratio.toFixed(2)}×`;
  td.dataset.value = String(ratio);
  td.classList.add(ratio >= 1 ? 'ratio-win' : 'ratio-loss');
  td.title = title;
  return td;
}

export function th(text: string, className?: string, title?: string, span?: { col?: number; row?: number }): HTMLTableCellElement {
  const c = make('th', className, text);
  c.scope = span?.col && span.col > 1 ? 'colgroup' : 'col';
  if (span?.col) c.colSpan = span.col;
  if (span?.row) c.rowSpan = span.row;
  if (title) c.title = title;
  return c;
}

let tableCount = 0;

/**
 * A titled table: the title sits outside the part that scrolls sideways (so it stays readable on a phone) and
 * labels the table for assistive technology.
 */
export function table(title: string, id: string): { box: HTMLElement; thead: HTMLTableSectionElement; tbody: HTMLTableSectionElement } {
  const box = make('div', 'table-part');
  const h = make('h2', 'table-title', title);
  h.id = `${id}-title-${++tableCount}`;
  const scroll = make('div', 'table-scroll');
  const t = make('table', 'bench-table');
  t.id = id;
  t.setAttribute('aria-labelledby', h.id);
  const thead = make('thead');
  const tbody = make('tbody');
  t.append(thead, tbody);
  scroll.append(t);
  box.append(h, scroll);
  return { box, thead, tbody };
}

/** The peers that produced figures in this report (loaded ones; unavailable ones are listed separately). */
export const loadedPeers = (r: BenchReport): string[] => r.peers.filter((p) => !p.error).map((p) => p.name);

const isAuto = (m: MatmulRow) => m.kernel.startsWith('auto');
const plainAuto = (m: MatmulRow) => isAuto(m) && !m.transA && !m.transB && !m.epilogue;

/** Column key of a matmul row: a variant name, 'auto', 'auto A^T', 'auto B^T' or 'auto +bias+relu'. */
export function matmulColumn(m: MatmulRow): string {
  if (!isAuto(m)) return m.kernel;
  return m.transA ? 'auto A^T' : m.transB ? 'auto B^T' : m.epilogue ? 'auto +bias+relu' : 'auto';
}

/** The plain matmul kernels that have figures, in the library's order, then 'auto'. */
export function matmulKernels(r: BenchReport): string[] {
  const present = new Set(r.matmul.map(matmulColumn));
  return [...MATMUL_VARIANTS.filter((v) => present.has(v)), ...(present.has('auto') ? ['auto'] : [])];
}

const EXTRA: { key: string; label: string; title: string }[] = [
  { key: 'auto A^T', label: 'auto Aᵀ', title: 'The tuned choice with A read transposed' },
  { key: 'auto B^T', label: 'auto Bᵀ', title: 'The tuned choice with B read transposed' },
  { key: 'auto +bias+relu', label: 'auto +bias+ReLU', title: 'The tuned choice with the bias add and ReLU fused into it' },
];

/** The clock behind Descent's kernel columns (GPU timestamps where the adapter has them). */
const kernelClock = (r: BenchReport): string => TIMING_METHODS[r.matmul[0]?.timing.method ?? 'gpu-timestamps'];
const PEER_CLOCK = TIMING_METHODS['wall-clock-submits'];

/**
 * Matmul GFLOP/s: a row per size, a column per kernel, the auto variants, auto timed as the peers are, each
 * peer, and auto / best peer on that one clock; a note says which clock each column uses, and warns where auto
 * trails the fastest variant.
 */
export function matmulTable(r: BenchReport, failures: Map<string, string>): HTMLElement {
  const kernels = matmulKernels(r);
  const extra = EXTRA.filter((e) => r.matmul.some((m) => matmulColumn(m) === e.key));
  const wall = r.matmul.some((m) => m.wallClock);
  const peers = loadedPeers(r);
  const t0 = r.matmul[0]?.timing;
  const { box, thead, tbody } = table(`Matmul, n × n f32, GFLOP/s (2n³ / median time${t0 ? ` of ${t0.repetitions}` : ''}); higher is better`, 'matmul-table');
  const top = make('tr');
  top.append(
    th('n', 'col-size', 'Square size: A, B and C are n × n', { row: 2 }),
    th('Descent', 'group', undefined, { col: kernels.length + extra.length + (wall ? 1 : 0) }),
  );
  if (peers.length) top.append(th('Peers', 'group group-peer', undefined, { col: peers.length }));
  if (peers.length)
    top.append(
      th(
        'auto / best peer (wall clock)',
        'col-ratio',
        `Descent’s tuned choice over the fastest peer at this size, both timed by the ${PEER_CLOCK}: above 1, Descent is faster`,
        { row: 2 },
      ),
    );
  const sub = make('tr');
  const clock = kernelClock(r);
  for (const k of kernels) sub.append(th(k, 'num', `${k === 'auto' ? 'The choice the autotuner made for this shape class' : `The ${k} kernel`}; ${clock}`));
  for (const e of extra) sub.append(th(e.label, 'num', `${e.title}; ${clock}`));
  if (wall) sub.append(th('auto (wall clock)', 'num', `The tuned choice timed as the peers are: ${PEER_CLOCK}`));
  for (const p of peers)
    sub.append(th(peerLabel(p), 'num peer', `${peerLabel(p)} ${r.peers.find((x) => x.name === p)?.version ?? ''} on the same adapter; ${PEER_CLOCK}`));
  thead.append(top, sub);
  for (const n of [...new Set(r.matmul.map((m) => m.size))]) {
    const rows = r.matmul.filter((m) => m.size === n);
    const tr = make('tr');
    tr.dataset.size = String(n);
    tr.append(make('th', 'num row-head', String(n)));
    tr.cells[0]!.scope = 'row';
    const descentBest = Math.max(...rows.filter((m) => !m.transA && !m.transB && !m.epilogue).map((m) => m.gflops));
    for (const k of [...kernels, ...extra.map((e) => e.key)]) {
      const m = rows.find((x) => matmulColumn(x) === k);
      const title = m
        ? `${m.kernel}${k !== 'auto' && k.startsWith('auto') ? k.slice(4) : ''}: median ${m.timing.median.toFixed(3)} ms (${m.timing.min.toFixed(3)}–${m.timing.max.toFixed(3)}), ${m.timing.method}`
        : undefined;
      const td = numCell(m?.gflops, { kernel: k }, title);
      if (m && m.gflops === descentBest && !k.startsWith('auto ')) td.classList.add('best');
      tr.append(td);
    }
    const auto = rows.find(plainAuto);
    if (wall) {
      const w = auto?.wallClock;
      tr.append(
        numCell(
          w?.gflops,
          { kernel: 'auto wall-clock' },
          w
            ? `median ${w.timing.median.toFixed(3)} ms (${w.timing.min.toFixed(3)}–${w.timing.max.toFixed(3)}), ${w.perBatch} per batch; ${PEER_CLOCK}`
            : undefined,
        ),
      );
    }
    const peerValues = peers.map((p) => rows[0]?.peers[p]);
    peers.forEach((p, i) => {
      const why = failures.get(`matmul ${n} ${p}`);
      const td = numCell(peerValues[i], { peer: p }, why ? `failed: ${why}` : `${peerLabel(p)}, n = ${n}`);
      td.classList.add('peer');
      tr.append(td);
    });
    const vs = wallClockVsPeers(auto, rows[0]?.peers ?? {});
    if (peers.length)
      tr.append(ratioCell(vs?.ratio, vs ? `auto ${fmt(vs.descent)} / ${peerLabel(vs.peer)} ${fmt(vs.best)} GFLOP/s, both by the ${PEER_CLOCK}` : ''));
    tbody.append(tr);
  }
  const note = make(
    'p',
    'table-note',
    `Kernel and auto columns: ${clock}. “auto (wall clock)” and the peers: ${PEER_CLOCK}; the ratio compares these two alone.`,
  );
  box.append(note);
  for (const w of autoShortfalls(r.matmul)) {
    const p = make('p', 'table-note table-warning', shortfallWarning(w));
    p.dataset.size = String(w.size);
    p.setAttribute('role', 'note');
    box.append(p);
  }
  return box;
}

/** Memory-bound kernels: bytes, time, GB/s, the copy of the same bytes, and the ratio as a bar. */
export function memoryTable(r: BenchReport): HTMLElement {
  const { box, thead, tbody } = table('Memory-bound kernels, GB/s of bytes read + written, against copyBufferToBuffer of the same bytes', 'memory-table');
  const head = make('tr');
  head.append(
    th('kernel', 'col-kernel'),
    th('bytes moved', 'num'),
    th('ms / run', 'num', 'Median wall-clock time of one run'),
    th('GB/s', 'num'),
    th('copy GB/s', 'num', 'copyBufferToBuffer moving the same number of bytes, in the same run'),
    th('kernel / copy', 'col-bar', 'Kernel bandwidth over copy bandwidth: 1 is as fast as the adapter moves these bytes'),
  );
  thead.append(head);
  for (const m of r.memory) {
    const tr = make('tr');
    tr.dataset.kernel = m.kernel;
    const name = make('th', 'row-head text', m.kernel);
    name.scope = 'row';
    const bar = make('td', 'bar-cell');
    bar.dataset.value = String(m.ratio);
    const track = make('span', 'bar');
    const fill = make('span', 'bar-fill');
    fill.style.width = `${Math.min(100, Math.max(1, m.ratio * 100)).toFixed(1)}%`;
    track.append(fill);
    bar.append(track, make('span', 'bar-label', m.ratio.toFixed(2)));
    bar.title = `${(m.ratio * 100).toFixed(0)}% of the copy's bandwidth`;
    tr.append(
      name,
      make('td', 'num', fmtMiB(m.bytes)),
      numCell(m.timing.median, {}, `median of ${m.timing.repetitions} (${m.timing.min.toFixed(2)}–${m.timing.max.toFixed(2)} ms)`),
      numCell(m.gbps),
      numCell(m.copyGbps),
      bar,
    );
    tbody.append(tr);
  }
  return box;
}

/** Training: per workload, Descent's ms/step and samples/s, each peer's, and Descent / best peer in samples/s. */
export function trainingTable(r: BenchReport, failures: Map<string, string>): HTMLElement {
  const peers = loadedPeers(r);
  const { box, thead, tbody } = table(
    'Training, whole steps in steady state (upload, forward, loss, backward, update); samples/s higher is better',
    'training-table',
  );
  const top = make('tr');
  top.append(th('workload', 'col-workload', undefined, { row: 2 }), th('Descent', 'group', undefined, { col: 2 }));
  for (const p of peers) top.append(th(peerLabel(p), 'group group-peer', undefined, { col: 2 }));
  if (peers.length) top.append(th('Descent / best peer', 'col-ratio', 'Descent’s samples/s over the fastest peer’s: above 1, Descent is faster', { row: 2 }));
  const sub = make('tr');
  for (let i = 0; i <= peers.length; i++) sub.append(th('ms / step', `num${i ? ' peer' : ''}`), th('samples/s', `num${i ? ' peer' : ''}`));
  thead.append(top, sub);
  for (const w of r.training) {
    const tr = make('tr');
    tr.dataset.workload = w.workload;
    const name = make('th', 'row-head text');
    name.scope = 'row';
    name.append(
      make('span', 'workload', w.workload),
      make(
        'span',
        'workload-meta',
        `${w.dispatchesPerStep} dispatches/step · peak GPU memory ${fmtMiB(w.peakBytes)} · loss ${w.lossFirst.toFixed(3)} → ${w.lossLast.toFixed(3)}`,
      ),
    );
    const ms = numCell(
      w.timing.median,
      { lib: 'descent', field: 'ms' },
      `median of ${w.timing.repetitions} (${w.timing.min.toFixed(2)}–${w.timing.max.toFixed(2)} ms)`,
    );
    const sps = numCell(w.samplesPerSecond, { lib: 'descent', field: 'sps' });
    sps.textContent = fmtInt(w.samplesPerSecond);
    tr.append(name, ms, sps);
    let best: number | undefined;
    let bestName = '';
    for (const p of peers) {
      const x = w.peers[p];
      const why = failures.get(`${w.workload} ${p}`);
      const title = x ? `${peerLabel(p)}: loss ${x.lossFirst.toFixed(3)} → ${x.lossLast.toFixed(3)}` : why ? `failed: ${why}` : 'not measured';
      const a = numCell(x?.msPerStep, { lib: p, field: 'ms' }, title);
      const b = numCell(x?.samplesPerSecond, { lib: p, field: 'sps' }, title);
      if (x) b.textContent = fmtInt(x.samplesPerSecond);
      a.classList.add('peer');
      b.classList.add('peer');
      tr.append(a, b);
      if (x && (best === undefined || x.samplesPerSecond > best)) {
        best = x.samplesPerSecond;
        bestName = peerLabel(p);
      }
    }
    if (peers.length)
      tr.append(
        ratioCell(best ? w.samplesPerSecond / best : undefined, `Descent ${fmtInt(w.samplesPerSecond)} / ${bestName} ${fmtInt(best ?? NaN)} samples/s`),
      );
    tbody.append(tr);
  }
  return box;
}

/**
 * Why a peer's figure is missing, from the suite's log lines ("matmul 128 tfjs: failed (reason)",
 * "<workload> jax: failed (reason)"), keyed "matmul 128 tfjs" / "<workload> jax".
 */
export function failureFromLog(line: string): [string, string] | null {
  const m = /^(.*): failed \((.*)\)$/.exec(line);
  return m ? [m[1]!, m[2]!] : null;
}
