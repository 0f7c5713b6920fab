import type { Runtime } from '../../src/index.js';

/** Runs `f` counting the GPU objects the device creates meanwhile (buffers, bind groups, pipelines). */
export async function countCreations(rt: Runtime, f: () => Promise<void>): Promise<Record<string, number>> {
  const device = rt.device as unknown as Record<string, unknown>;
  const counts = { createBuffer: 0, createBindGroup: 0, createComputePipeline: 0, createComputePipelineAsync: 0 };
  const originals = Object.fromEntries(Object.keys(counts).map((k) => [k, device[k]])) as Record<string, (...a: unknown[]) => unknown>;
  for (const k of Object.keys(counts) as (keyof typeof counts)[]) {
    device[k] = (...args: unknown[]) => {
      counts[k]++;
      return originals[k]!.apply(device, args);
    };
  }
  try {
    await f();
  } finally {
    for (const k of Object.keys(counts)) device[k] = originals[k];
  }
  return counts;
}

/** What countCreations returns when nothing was created. */
export const NO_CREATIONS = { createBuffer: 0, createBindGroup: 0, createComputePipeline: 0, createComputePipelineAsync: 0 };
