// `npm run bench` in Node: each system's part in a child process of its own, one after another (so no two parts
// share the CPU or the adapter while timing), then one report from what they sent: Descent's rows, each peer's
// figures in them, and, where a part crashed or timed out, its cells saying so.
import { childArgs, SYSTEMS, type BenchArgs, type System } from './args.js';
import type { PartResult } from './child.js';
import { applyPeerFigures, type PeerFigure } from './figures.js';
import { runChild } from './orchestrate.js';
import { PEER_SUITES, emptyReport, mergeReport, type BenchReport, type PartOutcome } from './suite.js';

/** What the parts sent, and how each ended. */
export interface Collected {
  hello: Map<System, Extract<PartResult, { kind: 'hello' }>>;
  descent: BenchReport[];
  figures: Map<System, PeerFigure[]>;
  outcomes: PartOutcome[];
}

export interface PartsOptions {
  /** The module each child runs (default: this same entry, `process.argv[1]`). */
  module?: string;
  /** A module per system instead (tests start stand-ins). */
  modules?: Partial<Record<System, string>>;
  /** A time limit per system in seconds, over the command line's --timeout. */
  timeoutS?: Partial<Record<System, number>>;
  /** The command line the children get (with --only added). */
  argv: readonly string[];
  environment: string;
  log: (line: string) => void;
}

/** The systems a run starts: Descent, and the peers when asked for and some suite has a peer side. */
export const systemsFor = (a: BenchArgs): System[] => SYSTEMS.filter((s) => s === 'descent' || (a.peers && a.suites.some((x) => PEER_SUITES.includes(x))));

/** Run every system's part in its own child; the report, and the exit status (1 when Descent's part failed). */
export async function runParts(a: BenchArgs, o: PartsOptions): Promise<{ report: BenchReport; exitCode: number }> {
  const c: Collected = { hello: new Map(), descent: [], figures: new Map(), outcomes: [] };
  for (const system of systemsFor(a)) {
    const suites = system === 'descent' ? a.suites : a.suites.filter((s) => PEER_SUITES.includes(s));
    o.log(`${system}: starting its part (${suites.join(', ')}) in a child process`);
    const outcome = await runChild<PartResult>({
      system,
      module: o.modules?.[system] ?? o.module ?? process.argv[1]!,
      args: childArgs(o.argv, system),
      timeoutMs: (o.timeoutS?.[system] ?? a.timeoutS) * 1000,
      log: (l) => o.log(`  ${l}`),
      onResult: (r) => {
        if (r.kind === 'hello') c.hello.set(system, r);
        else if (r.kind === 'descent') c.descent.push(r.report);
        else c.figures.set(system, [...(c.figures.get(system) ?? []), r.figure]);
      },
    });
    c.outcomes.push(outcome);
    o.log(`${system}: ${outcome.detail ?? 'finished'} after ${outcome.seconds.toFixed(0)} s`);
  }
  const report = assembleReport(a, c, o.environment);
  const descent = c.outcomes.find((x) => x.system === 'descent');
  return { report, exitCode: descent?.status === 'ok' ? 0 : 1 };
}

/** One report from the parts: Descent's rows, the peers' figures in them, and why a cell has none. */
export function assembleReport(a: BenchArgs, c: Collected, environment: string): BenchReport {
  const d = c.hello.get('descent');
  const report = emptyReport({ description: d?.adapter ?? 'unknown adapter (Descent did not start)', features: new Set(d?.features ?? []) }, environment);
  report.parts = c.outcomes;
  for (const part of c.descent) {
    mergeReport(report, part);
    report.tuning = part.tuning;
  }
  const peerSuites = a.suites.filter((s) => PEER_SUITES.includes(s));
  for (const outcome of c.outcomes.filter((x) => x.system !== 'descent')) {
    const name = outcome.system as System;
    const hello = c.hello.get(name);
    const version = hello?.version ?? '';
    if (hello?.error) {
      report.peers.push({ name, version, error: hello.error });
      continue;
    }
    if (hello && d && hello.adapter !== d.adapter) {
      report.peers.push({ name, version, error: `ran on '${hello.adapter}', not on Descent's adapter '${d.adapter}'` });
      continue;
    }
    report.peers.push({ name, version, ...(outcome.detail ? { status: outcome.detail } : {}) });
    const figures = c.figures.get(name) ?? [];
    applyPeerFigures(report, name, figures, peerSuites, outcome.detail);
    // Figures whose row Descent never produced (its part failed first) are kept, not dropped.
    const placed = (f: PeerFigure) =>
      f.suite === 'matmul'
        ? report.matmul.some((r) => r.size === f.size)
        : f.suite === 'conv'
          ? report.conv.some((r) => r.layer === f.layer && r.pass === f.pass)
          : f.suite === 'gpt'
            ? report.gpt.some((r) => r.workload === f.workload)
            : report.training.some((r) => r.workload === f.workload);
    const unplaced = figures.filter((f) => !placed(f));
    if (unplaced.length) report.unplaced = [...(report.unplaced ?? []), ...unplaced];
  }
  return report;
}
