// Per-adapter matmul tuning: check every variant and a few workgroup sizes against the reference, time those
// that agree on a representative product of each shape class in interleaved rounds (A B C A B C ...), keep
// the untuned default unless a candidate's median clearly beats it (autotune-rule.ts), and cache the choice
// (a file in Node, localStorage in a browser) under a key of the adapter, the matmul shaders' text and the
// tuner's version, so a driver, kernel or tuner change re-tunes.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { matmul as referenceMatmul } from '../reference/matmul.js';
import { allclose, reductionTolerance } from '../util/allclose.js';
import { Rng } from '../util/rng.js';
import { median } from '../util/stats.js';
import { decideTuning } from './autotune-rule.js';
import { defaultTuningStore, type MatmulTuning, type TuningMeasurement, type TuningStore } from './autotune-store.js';
import {
  MATMUL_VARIANTS,
  checkFixedWorkgroup,
  defaultMatmulChoice,
  fitWorkgroup,
  matmulShader,
  matmulSubgroupSize,
  prepareMatmul,
  type MatmulChoice,
  type MatmulMode,
  type MatmulShapeClass,
} from './matmul.js';
import { shaderSource } from './sources.js';
import { installMatmulChoices, tunedMatmulChoices } from './tuning.js';

/** The product measured for each class. */
export const TUNING_SHAPES: Readonly<Record<MatmulShapeClass, [number, number, number]>> = {
  small: [64, 64, 64],
  skinny: [512, 10, 256],
  medium: [64, 256, 784],
  large: [384, 384, 384],
};

const WORKGROUPS: [number, number][] = [
  [8, 8],
  [16, 16],
  [16, 4],
  [4, 16],
  [32, 2],
];
// block16's tile is 16 rows per invocation: flatter workgroups keep its tiles from outgrowing the products.
const BLOCK16_WORKGROUPS: [number, number][] = [
  [8, 4],
  [8, 2],
  [16, 4],
  [4, 8],
  [8, 8],
];

/** Candidates: every variant, and for those with a tunable workgroup, a few shapes of it. */
export const TUNING_CANDIDATES: readonly MatmulChoice[] = [
  { variant: 'naive', workgroup: [16, 16] },
  ...(['blocked', 'interleaved', 'wide', 'block8', 'vec4'] as const).flatMap((variant) => WORKGROUPS.map((workgroup) => ({ variant, workgroup }))),
  ...BLOCK16_WORKGROUPS.map((workgroup) => ({ variant: 'block16' as const, workgroup })),
  // x is the adapter's subgroup size (8 here); tuning substitutes it, and skips these without subgroups.
  ...(
    [
      [8, 2],
      [8, 4],
      [8, 8],
    ] as [number, number][]
  ).map((workgroup) => ({ variant: 'subgroup' as const, workgroup })),
  { variant: 'tiled', workgroup: [16, 16] },
  { variant: 'gemm', workgroup: [16, 16] },
];

/** The candidates that run on this runtime, the subgroup variant's workgroup fitted to its subgroup size. */
export function tuningCandidates(rt: Runtime): MatmulChoice[] {
  const subgroups = matmulSubgroupSize(rt) !== null;
  return TUNING_CANDIDATES.filter((c) => c.variant !== 'subgroup' || subgroups).map((c) => ({
    variant: c.variant,
    workgroup: fitWorkgroup(rt, c.variant, c.workgroup),
  }));
}

/** Transpositions tuned for each class (both transposed is rare and uses the plain choice). */
export const TUNING_MODES: readonly MatmulMode[] = ['', 'A^T', 'B^T'];

export { defaultTuningStore, type MatmulTuning, type TuningMeasurement, type TuningStore };

function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Bumped when the way the tuner decides changes, so tunings made the old way are measured again. */
const TUNER_VERSION = 2;

/** The cache key for this runtime: adapter, the matmul shaders' text and the tuner's version. */
export function tuningKey(rt: Runtime): string {
  const shaders = [...new Set(MATMUL_VARIANTS.map(matmulShader))].map((name) => shaderSource(name)).join('\n');
  return `${rt.description} | matmul ${digest(shaders)} | tuner ${TUNER_VERSION}`;
}

/** Per-candidate timings the tuner measured. */
export interface TuningTimes {
  /** Rounds in which every candidate still in the running is timed once, in turn. Default 7. */
  rounds?: number;
  /** Milliseconds one timed sample lasts (that many back-to-back runs in one pass). Default 10. */
  sampleMs?: number;
}

/** After the first round, candidates this many times slower than the fastest sit out the rest (the default never does). */
const DROP_FACTOR = 2;

/**
 * Time the candidates on one product in interleaved rounds, the order rotated each round so that no candidate
 * always follows the same one: milliseconds per run, one list per candidate.
 */
async function timeInterleaved(
  rt: Runtime,
  choices: MatmulChoice[],
  defaultIndex: number,
  mode: MatmulMode,
  t: { a: Tensor; b: Tensor; c: Tensor },
  o: TuningTimes,
): Promise<number[][]> {
  const ds = await Promise.all(
    choices.map((c) => prepareMatmul(rt, t, { variant: c.variant, workgroup: c.workgroup, transA: mode === 'A^T', transB: mode === 'B^T' })),
  );
  try {
    const time = async (i: number, runs: number) => {
      const t0 = performance.now();
      rt.run(new Array<(typeof ds)[number]>(runs).fill(ds[i]!));
      await rt.sync();
      return (performance.now() - t0) / runs;
    };
    // A warm-up run each, then batches that grow until one lasts about a sample: a batch of one small product
    // would time the submit and the wait, not the kernel.
    const sampleMs = o.sampleMs ?? 10;
    const runs: number[] = [];
    for (let i = 0; i < ds.length; i++) {
      await time(i, 1);
      let k = 1;
      for (let total = await time(i, 1); total < sampleMs / 2 && k < 1000; total = (await time(i, k)) * k) {
        k = Math.min(1000, Math.ceil(k * Math.min(8, sampleMs / Math.max(total, 1e-3))));
      }
      runs.push(k);
    }
    const samples: number[][] = ds.map(() => []);
    let racing = ds.map((_, i) => i);
    const rounds = Math.max(1, o.rounds ?? 7);
    for (let r = 0; r < rounds; r++) {
      for (let j = 0; j < racing.length; j++) {
        const i = racing[(j + r) % racing.length]!;
        samples[i]!.push(await time(i, runs[i]!));
      }
      if (r === 0) {
        const best = Math.min(...racing.map((i) => samples[i]![0]!));
        racing = racing.filter((i) => i === defaultIndex || samples[i]![0]! <= DROP_FACTOR * best);
      }
    }
    return samples;
  } finally {
    for (const d of ds) rt.release(d);
  }
}

/**
 * Whether a candidate computes a small odd-shaped product (ragged tiles, this transposition) like the CPU
 * reference: a kernel that is wrong on this adapter (say, one that assumes how invocations form subgroups)
 * is never installed, however fast.
 */
async function agreesWithReference(rt: Runtime, choice: MatmulChoice, mode: MatmulMode, rng: Rng): Promise<boolean> {
  const [M, N, K] = [37, 70, 20];
  const transA = mode === 'A^T';
  const transB = mode === 'B^T';
  const a = rng.floats(M * K);
  const b = rng.floats(K * N);
  const t = {
    a: Tensor.from(rt, a, transA ? [K, M] : [M, K]),
    b: Tensor.from(rt, b, transB ? [N, K] : [K, N]),
    c: Tensor.zeros(rt, [M, N]),
  };
  try {
    const d = await prepareMatmul(rt, t, { variant: choice.variant, workgroup: choice.workgroup, transA, transB });
    rt.run([d]);
    rt.release(d);
    const got = await t.c.read();
    return allclose(got, referenceMatmul(a, b, M, N, K, { transA, transB }), reductionTolerance(K)).ok;
  } finally {
    for (const x of Object.values(t)) x.destroy();
  }
}

/**
 * Check every candidate against the reference; on each shape class, plain and with A or B transposed, time
 * those that agree in interleaved rounds and install, as the runtime's 'auto' choice for that slot, the
 * untuned default unless a candidate beats its median by more than the noise (`classes` narrows the classes).
 * With a store, a cached result for this adapter is used instead of measuring, unless `force`.
 */
export async function tuneMatmul(
  rt: Runtime,
  options: TuningTimes & { store?: TuningStore | null; force?: boolean; log?: (line: string) => void; classes?: MatmulShapeClass[] } = {},
): Promise<MatmulTuning> {
  const key = tuningKey(rt);
  const store = options.store === undefined ? defaultTuningStore() : options.store;
  const cached = !options.force && store ? await store.load(key) : null;
  if (cached) {
    installMatmulChoices(rt, cached.choices);
    return cached;
  }
  const rng = new Rng(7);
  const measurements: TuningMeasurement[] = [];
  const choices: Record<string, MatmulChoice> = {};
  const classes = options.classes ?? (Object.keys(TUNING_SHAPES) as MatmulShapeClass[]);
  const name = (c: MatmulChoice) => `${c.variant} ${c.workgroup.join('x')}`;
  // Checked once per candidate and transposition, whatever the number of classes.
  const agreement = new Map<string, boolean>();
  const agrees = async (choice: MatmulChoice, mode: MatmulMode, slot: string) => {
    const key = `${name(choice)} ${mode}`;
    if (!agreement.has(key)) {
      const ok = await agreesWithReference(rt, choice, mode, rng);
      agreement.set(key, ok);
      if (!ok) options.log?.(`${slot.padEnd(11)} skipped ${name(choice)}: its result differs from the reference on this adapter`);
    }
    return agreement.get(key)!;
  };
  for (const cls of classes) {
    const [M, N, K] = TUNING_SHAPES[cls];
    const flops = 2 * M * N * K;
    const fallback = defaultMatmulChoice(rt, cls);
    for (const mode of TUNING_MODES) {
      const slot = mode ? `${cls} ${mode}` : cls;
      const line = (text: string) => options.log?.(`${slot.padEnd(11)} ${M}x${N}x${K}: ${text}`);
      const agreeing: MatmulChoice[] = [];
      for (const choice of tuningCandidates(rt)) if (await agrees(choice, mode, slot)) agreeing.push(choice);
      if (agreeing.length === 0) {
        line('no candidate agrees with the reference on this adapter: the untuned default stays');
        continue;
      }
      const t = {
        a: Tensor.from(rt, rng.floats(M * K), mode === 'A^T' ? [K, M] : [M, K]),
        b: Tensor.from(rt, rng.floats(K * N), mode === 'B^T' ? [N, K] : [K, N]),
        c: Tensor.zeros(rt, [M, N]),
      };
      try {
        const at = agreeing.findIndex((c) => name(c) === name(fallback));
        const samples = await timeInterleaved(rt, agreeing, at, mode, t, options);
        const mine = agreeing.map((choice, i) => ({ slot, choice, gflops: flops / (median(samples[i]!) * 1e6), samples: samples[i]! }));
        measurements.push(...mine);
        const d = decideTuning(samples, at);
        const chosen = mine[d.index]!;
        choices[slot] = chosen.choice;
        const gf = (m: TuningMeasurement) => `${m.gflops.toFixed(2)} GFLOP/s`;
        if (at < 0) line(`${name(chosen.choice)} at ${gf(chosen)} (the default ${name(fallback)} disagrees with the reference)`);
        else if (d.index !== at)
          line(`${name(chosen.choice)} at ${gf(chosen)}, ${(chosen.gflops / mine[at]!.gflops).toFixed(2)}x the default ${name(fallback)}`);
        else if (d.fastest === at) line(`the default ${name(fallback)} at ${gf(chosen)} is the fastest`);
        else
          line(
            `the default ${name(fallback)} at ${gf(chosen)} stays: ${name(mine[d.fastest]!.choice)} is ${d.speedup.toFixed(2)}x, within the noise (${d.needed.toFixed(2)}x needed)`,
          );
      } finally {
        for (const x of Object.values(t)) x.destroy();
      }
    }
  }
  const tuning: MatmulTuning = { key, choices, measurements, measuredAt: new Date().toISOString() };
  installMatmulChoices(rt, choices);
  await store?.save(tuning);
  return tuning;
}

/**
 * Pin 'auto' to given choices per slot (a shape class, e.g. 'large', covers its transposed products unless
 * 'large B^T' / 'large A^T' is given too), or clear tuning with null: the untuned defaults come back. A
 * variant whose workgroup is fixed ('tiled', 'gemm') given another is an OptionError, before anything is pinned.
 */
export function pinMatmul(rt: Runtime, choices: Record<string, MatmulChoice> | null): void {
  for (const choice of Object.values(choices ?? {})) checkFixedWorkgroup(choice);
  installMatmulChoices(rt, choices ? { ...tunedMatmulChoices(rt), ...choices } : null);
}
