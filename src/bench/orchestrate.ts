// Node: one child process per system (Descent, TF.js, jax-js), one after another. A native fault in one library
// (TF.js's LeNet step after Descent's has ended the whole process with SIGSEGV) then ends only that child; what it
// sent before is kept, and the outcome says what happened. Children talk over Node's IPC channel (fork).
import { fork } from 'node:child_process';
import type { PartOutcome } from './suite.js';

/** What a child sends: progress lines, results (whatever the part defines), a failure, and the end of its part. */
export type ChildMessage<R> = { type: 'log'; line: string } | { type: 'result'; result: R } | { type: 'error'; message: string } | { type: 'done' };

export interface ChildSpec<R> {
  /** The system this child measures ('descent', 'tfjs', 'jax'). */
  system: string;
  /** The module to fork, and its arguments. */
  module: string;
  args: readonly string[];
  /** Kill the child (SIGKILL) after this long, and say so. */
  timeoutMs: number;
  /** Each result as it arrives. */
  onResult: (result: R) => void;
  /** Progress lines, and the child's own stdout and stderr, line by line. */
  log?: (line: string) => void;
  /** Extra environment for the child. */
  env?: NodeJS.ProcessEnv;
}

/** How long a child that said it is done may take to exit before it is killed (its teardown is not measured). */
const EXIT_GRACE_MS = 5_000;

/** Fork one child, collect its results until it exits, crashes or times out, and say how it ended. Never throws. */
export function runChild<R>(spec: ChildSpec<R>): Promise<PartOutcome> {
  const log = spec.log ?? (() => {});
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  return new Promise((resolve) => {
    let done = false;
    let failure: string | undefined;
    let timedOut = false;
    let settled = false;
    const finish = (o: Omit<PartOutcome, 'system' | 'seconds'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({ system: spec.system, seconds: seconds(), ...o });
    };
    let grace: ReturnType<typeof setTimeout> | undefined;
    const child = fork(spec.module, [...spec.args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...spec.env },
      serialization: 'json',
    });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const l of lines) if (l.trim()) log(`[${spec.system}] ${l}`);
      });
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, spec.timeoutMs);
    child.on('message', (m: ChildMessage<R>) => {
      if (m.type === 'log') log(m.line);
      else if (m.type === 'result') spec.onResult(m.result);
      else if (m.type === 'error') failure = m.message;
      else if (m.type === 'done') {
        done = true;
        grace = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
      }
    });
    child.on('error', (e) => {
      failure ??= e.message;
      finish({ status: 'failed', detail: `failed: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      // A part that said it is done succeeded, however its process then ended (a native teardown fault included).
      if (done && !failure) finish({ status: 'ok' });
      else if (timedOut) finish({ status: 'timed out', detail: `timed out after ${Math.round(spec.timeoutMs / 1000)} s` });
      else if (signal) finish({ status: 'crashed', detail: `crashed (signal ${signal})` });
      else if (failure) finish({ status: 'failed', detail: `failed: ${failure}` });
      else finish({ status: 'failed', detail: code ? `exited with code ${code}` : 'exited before finishing' });
    });
  });
}

/** Send a message to the parent (a no-op when this process is not a forked child); resolves once it is sent. */
export function sendToParent<R>(m: ChildMessage<R>): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });
}
