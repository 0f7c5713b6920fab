// `npm run bench` in Node runs each system's part in a child process of its own. Here the children are stand-ins
// (small scripts that send what a part sends, then succeed, crash with SIGSEGV, hang or fail), not the benchmark:
// the report keeps every figure that arrived and says, in the cells left empty, what happened to the part.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs, type System } from '../src/bench/args.js';
import { runChild } from '../src/bench/orchestrate.js';
import { runParts } from '../src/bench/parent.js';
import { formatReport, type BenchReport } from '../src/bench/suite.js';
import type { Timing, TimingMethod } from '../src/bench/timing.js';
import { reportOf } from './helpers/bench-report.js';

const dir = mkdtempSync(join(tmpdir(), 'descent-bench-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in child: sends `results` (PartResult objects), then does `then` (JavaScript). */
function child(name: string, results: unknown[], then: string): string {
  const file = join(dir, `${name}.mjs`);
  const sends = results.map((r) => `await send(${JSON.stringify({ type: 'result', result: r })});`).join('\n');
  writeFileSync(file, `const send = (m) => new Promise((ok) => process.send(m, undefined, {}, ok));\n${sends}\n${then}\n`);
  return file;
}

const ADAPTER = 'stand-in adapter';
const hello = (system: System, version = '1.0') => ({ kind: 'hello', system, adapter: ADAPTER, features: ['timestamp-query'], version });
const timing = (ms: number, method: TimingMethod = 'gpu-timestamps'): Timing => ({ median: ms, min: ms, max: ms, repetitions: 5, method });
const LAYER = 'LeNet conv2 14x14x6 -> 16, 5x5 valid, batch 64';
const LENET = 'LeNet-5 28x28x1, batch 64, Adam';
const MLP = 'MNIST MLP 784-256-128-10, batch 64, Adam';

/** Descent's rows as its part sends them: one report per suite. */
const descentReport = (more: Partial<BenchReport>): BenchReport => reportOf({ adapter: ADAPTER, environment: '', tuning: { small: 'stand-in' }, ...more });
const autoRow = { size: 64, kernel: 'auto (subgroup 8x2)', transA: false, transB: false, epilogue: false, gflops: 8, timing: timing(0.065) };
const matmulPart = descentReport({ matmul: [{ ...autoRow, wallClock: { gflops: 6, timing: timing(0.09, 'wall-clock-submits'), perBatch: 40 }, peers: {} }] });
const convRow = (pass: string) => ({
  layer: LAYER,
  pass,
  gflops: 2,
  timing: timing(1),
  wallClock: { gflops: 1, timing: timing(2, 'wall-clock-submits'), perBatch: 8 },
  peers: {},
});
const convPart = descentReport({ conv: ['forward', 'dx', 'dw+db'].map(convRow) as BenchReport['conv'] });
const trainRow = (workload: string) => ({
  workload,
  timing: timing(10, 'wall-clock'),
  samplesPerSecond: 6400,
  dispatchesPerStep: 31,
  peakBytes: 1 << 20,
  transientBytes: 1 << 19,
  unsharedBytes: 1 << 20,
  lossFirst: 2.3,
  lossLast: 1.9,
  peers: {},
});
const trainPart = descentReport({ training: [trainRow(MLP), trainRow(LENET)] });
const descentResults = [
  hello('descent', ''),
  { kind: 'descent', suite: 'matmul', report: matmulPart },
  { kind: 'descent', suite: 'conv', report: convPart },
  { kind: 'descent', suite: 'train', report: trainPart },
];
const fig = (figure: object) => ({ kind: 'figure', figure });

const args = parseBenchArgs(['--suite=matmul,conv,memory,train']);
const DONE = "await send({ type: 'done' }); process.exit(0);";
const SEGFAULT = "process.kill(process.pid, 'SIGSEGV');";
const HANG = 'setInterval(() => {}, 1000);';

describe('npm run bench: one child process per system', () => {
  it('keeps the figures of a part that crashed or hung, and marks its other cells', { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    const { report, exitCode } = await runParts(args, {
      argv: [],
      environment: 'test',
      log: (l) => lines.push(l),
      modules: {
        descent: child('descent-ok', descentResults, DONE),
        // TF.js: its matmul and one conv pass arrive, then the process dies as it did in LeNet's step.
        tfjs: child(
          'tfjs-segv',
          [
            hello('tfjs', '4.22.0'),
            fig({ peer: 'tfjs', suite: 'matmul', size: 64, gflops: 0.5 }),
            fig({ peer: 'tfjs', suite: 'conv', layer: LAYER, pass: 'forward', gflops: 0.25 }),
            fig({ peer: 'tfjs', suite: 'conv', layer: LAYER, pass: 'dx', error: 'no kernel for this' }),
          ],
          SEGFAULT,
        ),
        // jax-js: its matmul arrives, then it never finishes.
        jax: child('jax-hang', [hello('jax', '0.1.25'), fig({ peer: 'jax', suite: 'matmul', size: 64, gflops: 2 })], HANG),
      },
      // The hanging part gets a limit far above a process start on a loaded machine (it must send its figures
      // before the limit ends it), the others more still.
      timeoutS: { descent: 50, tfjs: 50, jax: 15 },
    });
    expect(exitCode).toBe(0);
    expect(report.parts!.map((p) => [p.system, p.status, p.detail])).toEqual([
      ['descent', 'ok', undefined],
      ['tfjs', 'crashed', 'crashed (signal SIGSEGV)'],
      ['jax', 'timed out', 'timed out after 15 s'],
    ]);
    expect(report.adapter).toBe(ADAPTER);
    expect(report.tuning).toEqual({ small: 'stand-in' });
    expect(report.peers).toEqual([
      { name: 'tfjs', version: '4.22.0', status: 'crashed (signal SIGSEGV)' },
      { name: 'jax', version: '0.1.25', status: 'timed out after 15 s' },
    ]);
    // Figures sent before the end are kept, and the ratio is taken from them.
    const auto = report.matmul[0]!;
    expect(auto.peers).toEqual({ tfjs: 0.5, jax: 2 });
    expect(auto.vsBestPeer).toEqual({ ratio: 3, peer: 'jax', descent: 6, best: 2 });
    const conv = Object.fromEntries(report.conv.map((c) => [c.pass, c]));
    expect(conv.forward!.peers).toEqual({ tfjs: 0.25 });
    expect(conv.forward!.vsBestPeer!.ratio).toBe(4);
    expect(conv.forward!.peerErrors).toEqual({ jax: 'timed out after 15 s' });
    // A failure the part reported keeps its own reason; the cells it never reached say what ended it.
    expect(conv.dx!.peerErrors).toEqual({ tfjs: 'failed: no kernel for this', jax: 'timed out after 15 s' });
    expect(conv['dw+db']!.peerErrors).toEqual({ tfjs: 'crashed (signal SIGSEGV)', jax: 'timed out after 15 s' });
    for (const t of report.training) {
      expect(t.peers).toEqual({});
      expect(t.peerErrors).toEqual({ tfjs: 'crashed (signal SIGSEGV)', jax: 'timed out after 15 s' });
    }
    // The same in the JSON written to disk, and in the text tables.
    const json = JSON.parse(JSON.stringify(report)) as BenchReport;
    expect(json.training.find((t) => t.workload === LENET)!.peerErrors!.tfjs).toBe('crashed (signal SIGSEGV)');
    const text = formatReport(report);
    const lenet = text.split('\n').indexOf(text.split('\n').find((l) => l.startsWith(LENET))!);
    expect(text.split('\n').slice(lenet + 1, lenet + 3)).toEqual(['  tfjs: crashed (signal SIGSEGV)', '  jax: timed out after 15 s']);
    const dwLine = text.split('\n').find((l) => l.startsWith(LAYER) && l.includes(' dw+db '))!;
    expect(dwLine).toMatch(/crashed \(signal SIGSEGV\)\s+timed out after 15 s\s+-$/);
    expect(text).toMatch(/^ {3}64 .*0\.50\s+2\.00\s+3\.00x$/m);
    // Progress: each part's start (the peers have no memory suite) and end.
    expect(lines.filter((l) => /^(descent|tfjs|jax): /.test(l))).toEqual([
      'descent: starting its part (matmul, conv, memory, train) in a child process',
      expect.stringMatching(/^descent: finished after \d+ s$/),
      'tfjs: starting its part (matmul, conv, train) in a child process',
      expect.stringMatching(/^tfjs: crashed \(signal SIGSEGV\) after \d+ s$/),
      'jax: starting its part (matmul, conv, train) in a child process',
      expect.stringMatching(/^jax: timed out after 15 s after \d+ s$/),
    ]);
  });

  it("fails the run when Descent's own part fails, and keeps the peers' figures", { timeout: 60_000 }, async () => {
    const { report, exitCode } = await runParts(parseBenchArgs(['--suite=matmul', '--sizes=64']), {
      argv: [],
      environment: 'test',
      log: () => {},
      modules: {
        descent: child('descent-fails', [hello('descent', '')], "await send({ type: 'error', message: 'no adapter' }); process.exit(1);"),
        tfjs: child('tfjs-ok', [hello('tfjs'), fig({ peer: 'tfjs', suite: 'matmul', size: 64, gflops: 0.5 })], DONE),
        jax: child('jax-unavailable', [{ ...hello('jax'), error: 'jax-js started no WebGPU backend' }], DONE),
      },
      timeoutS: { descent: 50, tfjs: 50, jax: 50 },
    });
    expect(exitCode).toBe(1);
    expect(report.parts!.map((p) => p.detail ?? p.status)).toEqual(['failed: no adapter', 'ok', 'ok']);
    expect(report.matmul).toEqual([]);
    expect(report.unplaced).toEqual([{ peer: 'tfjs', suite: 'matmul', size: 64, gflops: 0.5 }]);
    expect(report.peers).toEqual([
      { name: 'tfjs', version: '1.0' },
      { name: 'jax', version: '1.0', error: 'jax-js started no WebGPU backend' },
    ]);
  });

  it('a part that said it was done succeeded, even if its process then dies; one that just exits did not', { timeout: 60_000 }, async () => {
    const run = (file: string) => runChild({ system: 'x', module: file, args: [], timeoutMs: 50_000, onResult: () => {} });
    expect((await run(child('done-then-segv', [], `await send({ type: 'done' }); ${SEGFAULT}`))).status).toBe('ok');
    expect(await run(child('exit-3', [], 'process.exit(3);'))).toMatchObject({ status: 'failed', detail: 'exited with code 3' });
    expect(await run(child('exit-0', [], 'process.exit(0);'))).toMatchObject({ status: 'failed', detail: 'exited before finishing' });
    const missing = await run(join(dir, 'no-such-file.mjs'));
    expect(missing.status).toBe('failed');
  });
});
