// The matmul tuner's state: the kernel 'auto' runs per tuning slot, per runtime. It lives beside the tuner, not
// on the Runtime (gpu/ knows no kernel), and apart from autotune.ts so that matmul.ts, which autotune.ts
// imports, can read it without an import cycle.
import type { Runtime } from '../gpu/runtime.js';
import type { MatmulChoice } from './matmul.js';

/** Choice per tuning slot: 'large', 'large B^T', 'skinny A^T', ... */
export type MatmulChoices = Readonly<Record<string, MatmulChoice>>;

const installed = new WeakMap<Runtime, MatmulChoices>();

/** The matmul choices installed on this runtime (measured, cached or pinned), or null: the untuned defaults. */
export function tunedMatmulChoices(rt: Runtime): MatmulChoices | null {
  return installed.get(rt) ?? null;
}

/** Install choices on this runtime, replacing what was there; null restores the untuned defaults. */
export function installMatmulChoices(rt: Runtime, choices: MatmulChoices | null): void {
  if (choices) installed.set(rt, { ...choices });
  else installed.delete(rt);
}
