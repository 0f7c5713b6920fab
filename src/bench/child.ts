// One system's part of `npm run bench`, run in a child process (`--only=descent|tfjs|jax`): its own Dawn
// instance, adapter and device on the same Vulkan driver, its figures sent to the parent as they are measured.
import { tuneMatmul } from '../kernels/autotune.js';
import { createRuntime } from '../runtime.js';
import type { BenchArgs, System } from './args.js';
import { figureLine, runPeerSide, type PeerFigure } from './figures.js';
import { sendToParent } from './orchestrate.js';
import { PEER_SUITES, runDescentSuites, type BenchReport, type Suite } from './suite.js';

/** What a part sends: who it is and on which adapter, then Descent's rows suite by suite, or a peer's figures. */
export type PartResult =
  | { kind: 'hello'; system: System; adapter: string; features: string[]; version: string; error?: string }
  | { kind: 'descent'; suite: Suite; report: BenchReport }
  | { kind: 'figure'; figure: PeerFigure };

const send = (result: PartResult) => sendToParent({ type: 'result', result });
const log = (line: string) => void sendToParent({ type: 'log', line });

/** Run `system`'s part of the suites in this process and tell the parent; exits the process when done. */
export async function runPart(system: System, a: BenchArgs, environment: string): Promise<never> {
  try {
    const rt = await createRuntime();
    const hello = { kind: 'hello' as const, system, adapter: rt.description, features: [...rt.features] };
    if (system === 'descent') {
      await send({ ...hello, version: '' });
      if (a.suites.includes('matmul')) {
        const tuning = await tuneMatmul(rt, { force: a.retune, log: (l) => log(`tuning ${l}`) });
        log(`matmul tuning (${tuning.measuredAt}): ${JSON.stringify(tuning.choices)}`);
      }
      for (const suite of a.suites) {
        const report = await runDescentSuites(rt, { suites: [suite], sizes: a.sizes, parameters: a.parameters, optimizers: a.optimizers, environment, log });
        await send({ kind: 'descent', suite, report });
      }
    } else {
      const { loadPeerRunners } = await import('./peers/runner.js');
      const { peers, errors } = await loadPeerRunners(rt, { names: [system] });
      const peer = peers[0];
      if (!peer) await send({ ...hello, version: errors[0]?.version ?? '', error: errors[0]?.error ?? 'did not load' });
      else {
        await send({ ...hello, version: peer.version });
        log(`${system} ${peer.version} loaded on ${rt.description}`);
        const plan = { suites: a.suites.filter((s) => PEER_SUITES.includes(s)), sizes: a.sizes };
        await runPeerSide(peer, plan, (figure) => {
          log(figureLine(figure));
          void send({ kind: 'figure', figure });
        });
      }
    }
    await sendToParent({ type: 'done' });
    process.exit(0);
  } catch (e) {
    if (e instanceof Error && e.stack) log(e.stack);
    await sendToParent({ type: 'error', message: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
}
