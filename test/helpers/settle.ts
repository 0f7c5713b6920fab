// Bounded waits for failure-path tests: a regression must fail the test, never hang the run.
import { Worker } from 'node:worker_threads';

// Runs on its own thread: it sleeps on a shared flag, not on a timer, so a busy loop of microtasks on the main
// thread (which starves every setTimeout, vitest's own test timeout included) cannot keep it from firing.
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const flag = new Int32Array(workerData.flag);
if (Atomics.wait(flag, 0, 0, workerData.ms) === 'timed-out') {
  process.stderr.write('\\n[watchdog] ' + workerData.what + ' still running after ' + workerData.ms +
    ' ms, with the main thread too busy to run its timers: killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}`;

/**
 * `p`'s outcome, or a rejection naming `what` if it has not settled within `ms`. If even that timer cannot
 * fire (a busy loop), a watchdog thread kills the test process a few seconds later: the file fails.
 */
export async function settle<T>(p: Promise<T>, ms: number, what: string): Promise<{ value?: T; error?: unknown }> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  new Worker(WATCHDOG, { eval: true, workerData: { flag: flag.buffer, ms: ms + 5_000, what } }).unref();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([
      p.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}
