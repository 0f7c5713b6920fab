// The conv suite as an HTML table: a row per layer and pass, Descent on both clocks, the peers on the wall clock,
// and Descent / best peer on that one clock.
import type { BenchReport } from '../../src/bench/suite.js';
import { TIMING_METHODS } from '../../src/bench/timing.js';
import { make } from '../shell.js';
import { fmt, loadedPeers, numCell, peerLabel, ratioCell, table, th } from './bench-tables.js';

const PEER_CLOCK = TIMING_METHODS['wall-clock-submits'];

/** conv2d GFLOP/s by layer and pass (forward, dx, dw + db); `failures` keys "conv <layer> <pass> <peer>". */
export function convTable(r: BenchReport, failures: Map<string, string>): HTMLElement {
  const peers = loadedPeers(r);
  const t0 = r.conv[0]?.timing;
  const clock = TIMING_METHODS[t0?.method ?? 'gpu-timestamps'];
  const { box, thead, tbody } = table(
    `Convolution, f32 NHWC, GFLOP/s (2 · pixels · taps · C · OC / median time${t0 ? ` of ${t0.repetitions}` : ''}); higher is better`,
    'conv-table',
  );
  // Other kernel variants timed on the same passes (e.g. 'gemm'), as the text report's columns.
  const variants = [...new Set(r.conv.flatMap((c) => Object.keys(c.variants ?? {})))];
  const top = make('tr');
  top.append(th('layer', 'col-workload', undefined, { row: 2 }), th('pass', undefined, 'dx and dw + db count the forward’s multiply-adds', { row: 2 }));
  top.append(th('Descent', 'group', undefined, { col: 2 + variants.length }));
  if (peers.length) {
    top.append(th('Peers', 'group group-peer', undefined, { col: peers.length }));
    top.append(th('Descent / best peer (wall clock)', 'col-ratio', `Both timed by the ${PEER_CLOCK}: above 1, Descent is faster`, { row: 2 }));
  }
  const sub = make('tr');
  sub.append(th('timestamps', 'num', clock), th('wall clock', 'num', `The same dispatches timed as the peers are: ${PEER_CLOCK}`));
  for (const v of variants)
    sub.append(th(v, 'num', `The '${v}' variant on the same pass (a software adapter: one run after a warm-up, and none for a pass of over 100 MFLOP)`));
  for (const p of peers) sub.append(th(peerLabel(p), 'num peer', `${peerLabel(p)} on the same adapter; ${PEER_CLOCK}`));
  thead.append(top, sub);
  for (const c of r.conv) {
    const tr = make('tr');
    tr.dataset.layer = c.layer;
    tr.dataset.pass = c.pass;
    const name = make('th', 'row-head text', c.layer);
    name.scope = 'row';
    tr.append(name, make('td', 'text', c.pass));
    tr.append(numCell(c.gflops, { lib: 'descent', clock: 'timestamps' }, `median ${c.timing.median.toFixed(3)} ms, ${c.timing.method}`));
    tr.append(
      numCell(c.wallClock.gflops, { lib: 'descent', clock: 'wall' }, `median ${c.wallClock.timing.median.toFixed(3)} ms, ${c.wallClock.perBatch} per batch`),
    );
    for (const v of variants) tr.append(numCell(c.variants?.[v], { variant: v }, `the '${v}' variant`));
    for (const p of peers) {
      const why = failures.get(`conv ${c.layer} ${c.pass} ${p}`);
      const td = numCell(c.peers[p], { peer: p }, why ? `failed: ${why}` : peerLabel(p));
      td.classList.add('peer');
      tr.append(td);
    }
    const vs = c.vsBestPeer;
    if (peers.length)
      tr.append(ratioCell(vs?.ratio, vs ? `Descent ${fmt(vs.descent)} / ${peerLabel(vs.peer)} ${fmt(vs.best)} GFLOP/s, both by the ${PEER_CLOCK}` : ''));
    tbody.append(tr);
  }
  box.append(make('p', 'table-note', `Timestamps: ${clock}. Wall clock and the peers: ${PEER_CLOCK}; the ratio compares these two alone.`));
  return box;
}
