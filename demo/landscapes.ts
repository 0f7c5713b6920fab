// The loss-landscape lab: optimizers' paths on 2-D test functions, computed on the GPU by optimizeOnSurface and
// animated over a contour map, with f over steps beside it.
//
// For tests: <body data-status> is 'ready', 'running' (computing or animating), 'done' (every path drawn) or
// 'error'; data-run counts finished runs. Each row of #path-rows has data-optimizer, data-points (valid points),
// data-start-f, data-final-f, data-diverged and data-status; #chart has data-series and data-points.
import { surfaceValue, type Runtime, type SurfaceName } from '../src/index.js';
import { acquireRuntime, renderNav, setStatus, showFatal } from './shell.js';
import { LossChart } from './lib/landscape-chart.js';
import { fmt } from './lib/landscape-colors.js';
import { LandscapeMap } from './lib/landscape-map.js';
import { computePath, type PathResult } from './lib/landscape-paths.js';
import { OPTIMIZER_INFO, SURFACES, learningRate, type OptimizerId, type SurfaceInfo } from './lib/landscape-surfaces.js';

renderNav('landscapes');

const el = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`landscapes page: missing #${id}`);
  return found as T;
};

const form = el<HTMLFormElement>('controls');
const surfaceSelect = el<HTMLSelectElement>('surface');
const lrInput = el<HTMLInputElement>('lr');
const momentumInput = el<HTMLInputElement>('momentum');
const stepsInput = el<HTMLInputElement>('steps');
const startX = el<HTMLInputElement>('start-x');
const startY = el<HTMLInputElement>('start-y');
const runStatus = el('run-status');
const rows = el('path-rows');
const map = new LandscapeMap(el('map'));
const chart = new LossChart(el('chart'));
const info = new Map(OPTIMIZER_INFO.map((o) => [o.id, o]));

// One checkbox per optimizer, with its colour.
for (const o of OPTIMIZER_INFO) {
  const id = `opt-${o.id}`;
  const wrap = document.createElement('div');
  wrap.className = 'check';
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = id;
  box.value = o.id;
  box.checked = o.defaultOn;
  const label = document.createElement('label');
  label.htmlFor = id;
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = o.color;
  label.append(swatch, o.label);
  wrap.append(box, label);
  el('optimizer-list').append(wrap);
}

const lrFactor = () => 10 ** Number(lrInput.value);
const mu = () => Number(momentumInput.value);
const surface = (): SurfaceInfo => SURFACES[surfaceSelect.value as SurfaceName];
const checked = (): OptimizerId[] => OPTIMIZER_INFO.filter((o) => (document.getElementById(`opt-${o.id}`) as HTMLInputElement).checked).map((o) => o.id);

function showSliders(): void {
  el('lr-out').textContent = `×${fmt(lrFactor(), 2)}`;
  el('momentum-out').textContent = mu().toFixed(2);
}

function showSurface(s: SurfaceInfo): void {
  el('surface-title').textContent = s.title;
  el('formula').textContent = s.formula;
  el('note').textContent = s.note;
  map.setSurface(s);
}

function setDefaults(s: SurfaceInfo): void {
  startX.value = String(s.start[0]);
  startY.value = String(s.start[1]);
  stepsInput.value = String(s.steps);
}

function readStart(): [number, number] {
  const s = surface();
  const clamp = (v: number, [lo, hi]: [number, number], d: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : d);
  const x = clamp(Number(startX.value), s.x, s.start[0]);
  const y = clamp(Number(startY.value), s.y, s.start[1]);
  startX.value = String(x);
  startY.value = String(y);
  return [x, y];
}

function readSteps(): number {
  const v = Math.round(Number(stepsInput.value));
  const steps = Number.isFinite(v) ? Math.min(3000, Math.max(10, v)) : surface().steps;
  stepsInput.value = String(steps);
  return steps;
}

const STATUS_TEXT: Record<PathResult['status'], string> = {
  converged: 'converged',
  moving: 'moving',
  'left the map': 'left the map',
  diverged: 'diverged',
};

function fillRows(paths: readonly PathResult[], upTo: number): void {
  rows.replaceChildren(
    ...paths.map((p) => {
      const o = info.get(p.id)!;
      const tr = document.createElement('tr');
      const finished = upTo >= p.steps;
      const shown = Math.min(upTo, p.valid - 1);
      tr.dataset.optimizer = p.id;
      tr.dataset.points = String(p.valid);
      tr.dataset.startF = String(p.startF);
      tr.dataset.finalF = String(p.finalF);
      tr.dataset.diverged = String(p.status === 'diverged');
      tr.dataset.status = p.status;
      const name = document.createElement('td');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = o.color;
      name.append(sw, o.label);
      if (p.momentum !== null) name.append(Object.assign(document.createElement('span'), { className: 'muted', textContent: ` μ ${p.momentum.toFixed(2)}` }));
      const lr = Object.assign(document.createElement('td'), { className: 'num', textContent: fmt(p.lr, 2) });
      const f = Object.assign(document.createElement('td'), { className: 'num', textContent: fmt(p.xy[3 * Math.max(0, shown) + 2]!, 3) });
      const end = document.createElement('td');
      const badge = document.createElement('span');
      const kind = !finished && p.status !== 'diverged' ? 'running' : p.status === 'diverged' ? 'diverged' : p.status === 'left the map' ? 'left' : p.status;
      badge.className = `tag tag-${kind}`;
      badge.textContent = finished || (p.status === 'diverged' && upTo >= p.valid - 1) ? STATUS_TEXT[p.status] : `step ${Math.max(0, shown)}`;
      end.append(badge);
      tr.append(name, lr, f, end);
      return tr;
    }),
  );
}

let rt: Runtime | null = null;
let generation = 0;
let runs = 0;
let current: { paths: PathResult[]; upTo: number; start: [number, number] } | null = null;

function drawCurrent(): void {
  const start = current?.start ?? readStart();
  const paths = current?.paths ?? [];
  map.drawOverlay(
    paths.map((p) => ({ color: info.get(p.id)!.color, xy: p.xy, valid: p.valid, diverged: p.status === 'diverged' })),
    current?.upTo ?? 0,
    start,
  );
}

const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

/** Compute every checked optimizer's path on the GPU, then animate them; a newer run supersedes this one. */
async function run(): Promise<void> {
  if (!rt) return;
  const my = ++generation;
  setStatus('running');
  const s = surface();
  const start = readStart();
  const steps = readSteps();
  const ids = checked();
  const factor = lrFactor();
  const m = mu();
  current = { paths: [], upTo: 0, start };
  drawCurrent();
  const t0 = performance.now();
  const paths: PathResult[] = [];
  for (const [i, id] of ids.entries()) {
    runStatus.textContent = `Computing ${info.get(id)!.label} on the GPU (${i + 1}/${ids.length})…`;
    const o = info.get(id)!;
    const p = await computePath(rt, s, id, { start, steps, lr: learningRate(s, id, factor), momentum: m, usesMomentum: o.usesMomentum });
    if (my !== generation) return;
    paths.push(p);
  }
  const ms = performance.now() - t0;
  current = { paths, upTo: 0, start };
  chart.setPaths(
    paths.map((p) => ({ label: info.get(p.id)!.label, color: info.get(p.id)!.color, xy: p.xy, valid: p.valid })),
    steps,
    s.signed,
  );
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const duration = reduce ? 0 : Math.min(3000, Math.max(1200, steps * 6));
  runStatus.textContent = `${paths.length} path${paths.length === 1 ? '' : 's'} of ${steps} steps from (${fmt(start[0], 3)}, ${fmt(start[1], 3)}), computed on the GPU in ${(ms / 1000).toFixed(2)} s.`;
  const a0 = performance.now();
  for (;;) {
    const t = duration === 0 ? 1 : Math.min(1, (performance.now() - a0) / duration);
    current.upTo = Math.round(t * steps);
    drawCurrent();
    chart.reveal(current.upTo);
    fillRows(paths, current.upTo);
    if (t >= 1) break;
    await frame();
    if (my !== generation) return;
  }
  document.body.dataset.run = String(++runs);
  setStatus('done');
}

function rerun(): void {
  run().catch(showFatal);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  rerun();
});
surfaceSelect.addEventListener('change', () => {
  const s = surface();
  setDefaults(s);
  showSurface(s);
  rerun();
});
for (const input of [lrInput, momentumInput]) {
  input.addEventListener('input', showSliders);
  input.addEventListener('change', rerun);
}
el('optimizer-list').addEventListener('change', rerun);
map.overlay.addEventListener('click', (e) => {
  const p = map.toData(e.clientX, e.clientY);
  if (!p) return;
  startX.value = String(Number(p[0].toFixed(2)));
  startY.value = String(Number(p[1].toFixed(2)));
  rerun();
});
map.overlay.addEventListener('pointermove', (e) => {
  const p = map.toData(e.clientX, e.clientY);
  el('readout').textContent = p
    ? `x ${p[0].toFixed(2)}, y ${p[1].toFixed(2)}: f = ${fmt(surfaceValue(surface().name, p[0], p[1]), 3)}. Click to start here.`
    : 'Point at the map for x, y and f; click to start there.';
});
let mapWidth = 0;
new ResizeObserver(() => {
  const w = el('map').clientWidth;
  if (w === mapWidth) return;
  mapWidth = w;
  map.layout();
  drawCurrent();
  chart.resize();
}).observe(el('map'));

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const named = params.get('surface');
  if (named && named in SURFACES) surfaceSelect.value = named;
  setDefaults(surface());
  const start = params.get('start')?.split(',').map(Number);
  if (start?.length === 2 && start.every(Number.isFinite)) [startX.value, startY.value] = start.map(String) as [string, string];
  showSliders();
  showSurface(surface());
  drawCurrent();
  rt = await acquireRuntime();
  if (!rt) {
    runStatus.textContent = 'WebGPU is not available: the map is drawn, but the optimizers need a GPU.';
    return;
  }
  setStatus('ready');
  await run();
}

main().catch(showFatal);
