import { createRuntime, type Runtime } from '../../src/index.js';
import type { KernelCase } from '../../src/selftest/cases.js';
import { expect, it } from 'vitest';

let shared: Promise<Runtime> | undefined;

/**
 * The test file's runtime, on a real WebGPU adapter (Dawn in Node). With no adapter this rejects with the
 * NoAdapterError that says how to install a driver, so every GPU test fails rather than skips.
 */
export function gpu(): Promise<Runtime> {
  shared ??= createRuntime();
  return shared;
}

/** One vitest test per kernel case: run on the GPU, compare with the CPU reference. */
export function itRunsCases(cases: KernelCase[]): void {
  for (const c of cases) {
    it(`${c.kernel} ${c.shape}`, async () => {
      const r = await c.run(await gpu());
      expect(r.pass, r.message).toBe(true);
      expect(Number.isFinite(r.maxAbsErr), r.message).toBe(true);
    });
  }
}
