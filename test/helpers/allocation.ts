import { expect } from 'vitest';
import type { Runtime } from '../../src/index.js';

/** `f` rejects with `type` and every fragment in its message, and no buffer was made, even for a moment. */
export async function allocatesNothing(rt: Runtime, f: () => Promise<unknown>, type: Function, ...fragments: string[]): Promise<void> {
  const before = rt.buffers.stats();
  rt.buffers.resetPeak();
  const err = await f().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${type.name}`).toBeInstanceOf(type);
  for (const s of fragments) expect((err as Error).message).toContain(s);
  expect(rt.buffers.stats(), (err as Error).message).toEqual(before);
  expect(rt.buffers.peakBytes, `${(err as Error).message}: a buffer was made, then freed`).toBe(before.bytes);
}

/** Each call rejects with its error type and a message matching its pattern; afterwards the runtime holds the buffers it held before. */
export async function rejectsEach(rt: Runtime, bad: [() => Promise<unknown>, Function, RegExp][]): Promise<void> {
  const before = rt.buffers.stats();
  for (const [f, type, message] of bad) {
    const err = await f().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(type);
    expect(String(err)).toMatch(message);
  }
  expect(rt.buffers.stats()).toEqual(before);
}
