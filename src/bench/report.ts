// The benchmark report as plain text: the tables `npm run bench` prints, each column's clock named, the peers'
// figures beside Descent's, and where a peer has none, why (failed, crashed, timed out).
import { autoShortfalls, isPlainAuto, peerCellText, shortfallWarning } from './compare.js';
import { formatConv } from './conv.js';
import { formatGpt } from './gpt.js';
import type { MatmulBenchRow } from './matmul.js';
import type { BenchReport } from './suite.js';
import { TIMING_METHODS } from './timing.js';

const pad = (s: string, n: number) => s.padStart(n);
const sizesOf = (r: BenchReport) => [...new Set(r.matmul.map((m) => m.size))];

/** The report as plain-text tables, peers' columns and Descent / best-peer ratios included. */
export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(`Descent ${r.descent} on ${r.adapter}`, `features: ${r.features.join(', ') || 'none'}; ${r.environment}; ${r.date}`);
  out.push(
    `peers: ${r.peers.map((p) => `${p.name} ${p.version}${p.error ? ` (unavailable: ${p.error})` : p.status ? ` (${p.status})` : ''}`).join(', ') || 'none'}`,
  );
  if (r.parts?.length) out.push(`parts: ${r.parts.map((p) => `${p.system} ${p.detail ?? p.status} in ${p.seconds.toFixed(0)} s`).join(', ')}`);
  const peerNames = r.peers.filter((p) => !p.error).map((p) => p.name);
  if (r.matmul.length) {
    const method = r.matmul[0]!.timing.method;
    out.push('', `matmul GFLOP/s, f32, square (median of ${r.matmul[0]!.timing.repetitions}):`);
    out.push(`  kernel and auto columns: ${TIMING_METHODS[method]}`);
    out.push(`  'auto, wall' and the peers: ${TIMING_METHODS['wall-clock-submits']}; 'wall / best peer' compares these alone`);
    const kernels = [...new Set(r.matmul.map((m) => (m.kernel.startsWith('auto') ? 'auto' : m.kernel)))];
    const extra = ['auto A^T', 'auto B^T', 'auto +bias+relu', 'auto, wall'];
    const peerText = (rows: BenchReport['matmul'], p: string) => peerCellText(rows[0]?.peers[p], rows[0]?.peerErrors?.[p]);
    const peerWidth = (p: string) =>
      2 +
      Math.max(
        p.length,
        6,
        ...sizesOf(r).map(
          (n) =>
            peerText(
              r.matmul.filter((m) => m.size === n),
              p,
            ).length,
        ),
      );
    out.push(
      [
        pad('size', 5),
        ...kernels.map((k) => pad(k, 12)),
        ...extra.map((k) => pad(k, 16)),
        ...peerNames.map((p) => pad(p, peerWidth(p))),
        pad('wall / best peer', 17),
      ].join(''),
    );
    for (const n of sizesOf(r)) {
      const rows = r.matmul.filter((m) => m.size === n);
      const cell = (f: (m: MatmulBenchRow) => boolean) => rows.find(f)?.gflops;
      const auto = rows.find(isPlainAuto);
      out.push(
        [
          pad(String(n), 5),
          ...kernels.map((k) => pad(cell((m) => (k === 'auto' ? isPlainAuto(m) : m.kernel === k))?.toFixed(2) ?? '-', 12)),
          pad(cell((m) => m.kernel.startsWith('auto') && m.transA)?.toFixed(2) ?? '-', 16),
          pad(cell((m) => m.kernel.startsWith('auto') && m.transB)?.toFixed(2) ?? '-', 16),
          pad(cell((m) => m.kernel.startsWith('auto') && m.epilogue)?.toFixed(2) ?? '-', 16),
          pad(auto?.wallClock?.gflops.toFixed(2) ?? '-', 16),
          ...peerNames.map((p) => pad(peerText(rows, p), peerWidth(p))),
          pad(auto?.vsBestPeer ? `${auto.vsBestPeer.ratio.toFixed(2)}x` : '-', 17),
        ].join(''),
      );
    }
    if (r.matmul.some((m) => m.kernel.startsWith('auto')))
      out.push(`auto = the tuned choice per shape class (${JSON.stringify(r.tuning ?? 'untuned defaults')})`);
    for (const w of autoShortfalls(r.matmul)) out.push(shortfallWarning(w));
  }
  if (r.conv?.length) out.push('', ...formatConv(r.conv, peerNames));
  if (r.memory.length) {
    out.push('', 'memory-bound kernels, GB/s of bytes read + written, against copyBufferToBuffer of the same bytes:');
    const width = Math.max(...r.memory.map((m) => m.kernel.length));
    for (const m of r.memory) {
      out.push(
        `${m.kernel.padEnd(width)} ${(m.bytes / 2 ** 20).toFixed(0).padStart(5)} MiB ${m.timing.median.toFixed(2).padStart(8)} ms ${m.gbps.toFixed(2).padStart(7)} GB/s   copy ${m.copyGbps.toFixed(2).padStart(7)} GB/s   ratio ${m.ratio.toFixed(2)}`,
      );
    }
  }
  if (r.training.length) {
    out.push('', 'training, steady state after warm-up (median ms/step of 5 repetitions):');
    for (const t of r.training) {
      const peers = peerNames.map((p) => t.peers[p]).filter((x) => x !== undefined);
      const best = Math.max(...peers.map((p) => p!.samplesPerSecond));
      out.push(
        `${t.workload}: Descent ${t.timing.median.toFixed(2)} ms/step (${t.timing.min.toFixed(2)}-${t.timing.max.toFixed(2)}), ` +
          `${Math.round(t.samplesPerSecond)} samples/s, ${t.dispatchesPerStep} dispatches/step, peak GPU memory ${(t.peakBytes / 2 ** 20).toFixed(2)} MiB, ` +
          `loss ${t.lossFirst.toFixed(3)} -> ${t.lossLast.toFixed(3)}`,
      );
      for (const p of peerNames) {
        const x = t.peers[p];
        const why = t.peerErrors?.[p];
        if (x)
          out.push(
            `  ${p}: ${x.msPerStep.toFixed(2)} ms/step, ${Math.round(x.samplesPerSecond)} samples/s, loss ${x.lossFirst.toFixed(3)} -> ${x.lossLast.toFixed(3)}`,
          );
        else if (why) out.push(`  ${p}: ${why}`);
      }
      if (peers.length) out.push(`  Descent / best peer: ${(t.samplesPerSecond / best).toFixed(2)}x samples/s`);
    }
  }
  if (r.gpt?.length)
    out.push('', 'GPT training, steady state after warm-up (same initial parameters and token batches in every system):', ...formatGpt(r.gpt, peerNames));
  if (r.coldStart) out.push('', `cold start: ${r.coldStart.ms.toFixed(0)} ms from createRuntime to the first finished step of the ${r.coldStart.workload}`);
  return out.join('\n');
}
