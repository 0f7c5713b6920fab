// The benchmark's matmul comparisons, on synthetic rows: a warning where the tuned 'auto' trails the fastest
// variant, and Descent against the peers on one clock (wall clock against wall clock), in the text report.
import { describe, expect, it } from 'vitest';
import { AUTO_WARN_BELOW, autoShortfalls, shortfallWarning, wallClockVsPeers } from '../src/bench/compare.js';
import { CONV_LAYERS, convFlops, type ConvBenchRow, type ConvPass } from '../src/bench/conv.js';
import type { MatmulBenchRow } from '../src/bench/matmul.js';
import { formatReport } from '../src/bench/suite.js';
import type { Timing, TimingMethod } from '../src/bench/timing.js';
import { reportOf } from './helpers/bench-report.js';

const timing = (ms: number, method: TimingMethod = 'gpu-timestamps'): Timing => ({ median: ms, min: ms, max: ms, repetitions: 5, method });
const row = (size: number, kernel: string, gflops: number, more: Partial<MatmulBenchRow> = {}): MatmulBenchRow => ({
  size,
  kernel,
  transA: false,
  transB: false,
  epilogue: false,
  gflops,
  timing: timing((2 * size ** 3) / (gflops * 1e6)),
  ...more,
});
const wall = (size: number, gflops: number) => ({ gflops, timing: timing((2 * size ** 3) / (gflops * 1e6), 'wall-clock-submits'), perBatch: 20 });

// The tester's table: at 512 and 1024 auto ran at half the subgroup variant; at 256 it matched it.
const rows: MatmulBenchRow[] = [
  row(256, 'blocked', 7.16),
  row(256, 'subgroup', 26.18),
  row(256, 'auto (subgroup 8x4)', 26.39, { wallClock: wall(256, 20) }),
  row(256, 'auto (subgroup 8x4)', 12, { transB: true }),
  row(512, 'blocked', 7.54),
  row(512, 'subgroup', 8.09),
  row(512, 'auto (block8 8x8)', 4.0, { wallClock: wall(512, 3.5) }),
  row(1024, 'subgroup', 10.17),
  row(1024, 'auto (block8 8x8)', 3.91),
];

describe('benchmark comparisons', () => {
  it('finds the sizes where auto runs below 0.8x the fastest variant, ignoring transposed and fused rows', () => {
    const s = autoShortfalls(rows);
    expect(s.map((x) => x.size)).toEqual([512, 1024]);
    expect(s[0]!.best.kernel).toBe('subgroup');
    expect(s[0]!.ratio).toBeCloseTo(4 / 8.09, 6);
    expect(AUTO_WARN_BELOW).toBe(0.8);
    expect(s[0]!.sameKernel).toBe(false);
    // Exactly at the threshold is no shortfall.
    expect(autoShortfalls([row(64, 'wide', 10), row(64, 'auto (wide 8x8)', 8)])).toEqual([]);
  });

  it('says when auto ran the very kernel of the fastest variant: the gap is noise, not the tuning', () => {
    const choice = { variant: 'subgroup', workgroup: [8, 4] as [number, number] };
    const noisy = [row(512, 'subgroup', 22, { choice }), row(512, 'auto (subgroup 8x4)', 14, { choice })];
    const [s] = autoShortfalls(noisy);
    expect(s!.sameKernel).toBe(true);
    expect(shortfallWarning(s!)).toMatch(/same kernel timed twice.*noise/);
    const other = [row(512, 'subgroup', 22, { choice }), row(512, 'auto (subgroup 8x8)', 14, { choice: { variant: 'subgroup', workgroup: [8, 8] } })];
    const [t] = autoShortfalls(other);
    expect(t!.sameKernel).toBe(false);
    expect(shortfallWarning(t!)).toMatch(/tuning does not fit/);
  });

  it('compares auto with the peers by its wall-clock figure, not its GPU-timestamp one', () => {
    const auto = rows[2]!;
    const vs = wallClockVsPeers(auto, { tfjs: 5, jax: 4 })!;
    expect(vs).toEqual({ ratio: 20 / 5, peer: 'tfjs', descent: 20, best: 5 });
    expect(vs.ratio).not.toBeCloseTo(auto.gflops / 5, 1);
    expect(wallClockVsPeers(rows[7]!, { tfjs: 5 })).toBeNull();
    expect(wallClockVsPeers(auto, {})).toBeNull();
  });

  it('the text report shows both clocks, the wall-clock ratio and a warning per shortfall', () => {
    const report = reportOf({
      peers: [{ name: 'tfjs', version: '4.22.0' }],
      matmul: rows.map((r) => ({ ...r, peers: r.size === 256 ? { tfjs: 5 } : ({} as Record<string, number>) })),
    });
    report.matmul[2]!.vsBestPeer = wallClockVsPeers(report.matmul[2], report.matmul[2]!.peers)!;
    const text = formatReport(report);
    expect(text).toContain('GPU timestamps around one pass of many dispatches');
    expect(text).toContain('wall clock around back-to-back submits, one wait at the end');
    const line256 = text.split('\n').find((l) => l.trimStart().startsWith('256'))!;
    // auto 26.39 (timestamps), auto wall 20.00, TF.js 5.00, ratio 20 / 5 = 4.00x (not 26.39 / 5).
    expect(line256).toMatch(/26\.39.*20\.00.*5\.00\s+4\.00x$/);
    const warnings = text.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('n = 512');
    expect(warnings[0]).toContain('0.49x the fastest variant subgroup (8.09)');
    expect(warnings[1]).toContain('n = 1024');
  });

  it('the conv table gives each layer and pass on both clocks, the peers, and the wall-clock ratio', () => {
    const layer = CONV_LAYERS[1]!;
    const flops = convFlops(layer);
    const conv = (pass: ConvPass, gflops: number, wallGflops: number, peers: Record<string, number>): ConvBenchRow => {
      const r: ConvBenchRow = {
        layer: layer.name,
        pass,
        gflops,
        timing: timing(flops / (gflops * 1e6)),
        wallClock: { gflops: wallGflops, timing: timing(flops / (wallGflops * 1e6), 'wall-clock-submits'), perBatch: 4 },
        peers,
      };
      const vs = wallClockVsPeers(r, peers);
      if (vs) r.vsBestPeer = vs;
      return r;
    };
    const report = reportOf({
      peers: [
        { name: 'tfjs', version: '4.22.0' },
        { name: 'jax', version: '0.1.25' },
      ],
      conv: [conv('forward', 3.5, 2.5, { tfjs: 1, jax: 1.25 }), conv('dx', 1.5, 1.2, { tfjs: 0.6 }), conv('dw+db', 2.1, 1.9, {})],
    });
    // 14x14x6 -> 16, 5x5 valid, batch 64: 64 * 10 * 10 * 16 * 6 * 25 multiply-adds.
    expect(flops).toBe(2 * 64 * 100 * 16 * 6 * 25);
    const lines = formatReport(report).split('\n');
    const at = lines.findIndex((l) => l.startsWith('conv2d GFLOP/s'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toContain('GPU timestamps around one pass of many dispatches');
    expect(lines[at + 2]).toContain('wall clock around back-to-back submits');
    expect(lines[at + 3]).toMatch(/^layer\s+pass\s+timestamps\s+wall\s+tfjs\s+jax\s+wall \/ best peer$/);
    const row = (pass: string) => lines.slice(at + 4).find((l) => l.startsWith(layer.name) && l.includes(` ${pass} `))!;
    // Wall against the best peer's wall figure: 2.5 / 1.25 = 2.00x (not 3.5 / 1.25).
    expect(row('forward')).toMatch(/forward\s+3\.50\s+2\.50\s+1\.00\s+1\.25\s+2\.00x$/);
    expect(row('dx')).toMatch(/dx\s+1\.50\s+1\.20\s+0\.60\s+-\s+2\.00x$/);
    expect(row('dw+db')).toMatch(/dw\+db\s+2\.10\s+1\.90\s+-\s+-\s+-$/);
  });
});
