// Per-adapter matmul tuning: measure every variant and a few workgroup sizes once on a representative
// product of each shape class, keep the fastest, and cache the choice (a file in Node, localStorage in a
// browser) under a key of the adapter and the matmul shaders' text, so a driver or kernel change re-tunes.
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { isNode } from '../gpu/device.js';
import { matmul as referenceMatmul } from '../reference/matmul.js';
import { allclose, reductionTolerance } from '../util/allclose.js';
import { Rng } from '../util/rng.js';
import { MATMUL_VARIANTS, fitWorkgroup, matmulShader, matmulSubgroupSize, prepareMatmul, type MatmulChoice, type MatmulMode, type MatmulShapeClass } from './matmul.js';
import { shaderSource } from './sources.js';

/** The product measured for each class. */
export const TUNING_SHAPES: Readonly<Record<MatmulShapeClass, [number, number, number]>> = {
  small: [64, 64, 64],
  skinny: [512, 10, 256],
  medium: [64, 256, 784],
  large: [384, 384, 384],
};

const WORKGROUPS: [number, number][] = [[8, 8], [16, 16], [16, 4], [4, 16], [32, 2]];
// block16's tile is 16 rows per invocation: flatter workgroups keep its tiles from outgrowing the products.
const BLOCK16_WORKGROUPS: [number, number][] = [[8, 4], [8, 2], [16, 4], [4, 8], [8, 8]];

/** Candidates: every variant, and for those with a tunable workgroup, a few shapes of it. */
export const TUNING_CANDIDATES: readonly MatmulChoice[] = [
  { variant: 'naive', workgroup: [16, 16] },
  ...(['blocked', 'interleaved', 'wide', 'block8', 'vec4'] as const).flatMap((variant) => WORKGROUPS.map((workgroup) => ({ variant, workgroup }))),
  ...BLOCK16_WORKGROUPS.map((workgroup) => ({ variant: 'block16' as const, workgroup })),
  // x is the adapter's subgroup size (8 here); tuning substitutes it, and skips these without subgroups.
  ...([[8, 2], [8, 4], [8, 8]] as [number, number][]).map((workgroup) => ({ variant: 'subgroup' as const, workgroup })),
  { variant: 'tiled', workgroup: [16, 16] },
];

/** The candidates that run on this runtime, the subgroup variant's workgroup fitted to its subgroup size. */
export function tuningCandidates(rt: Runtime): MatmulChoice[] {
  const subgroups = matmulSubgroupSize(rt) !== null;
  return TUNING_CANDIDATES.filter((c) => c.variant !== 'subgroup' || subgroups).map((c) => ({ variant: c.variant, workgroup: fitWorkgroup(rt, c.variant, c.workgroup) }));
}

/** Transpositions tuned for each class (both transposed is rare and uses the plain choice). */
export const TUNING_MODES: readonly MatmulMode[] = ['', 'A^T', 'B^T'];

export interface TuningMeasurement {
  /** The slot: shape class, then ' A^T' or ' B^T' for a transposed operand. */
  slot: string;
  choice: MatmulChoice;
  gflops: number;
}

export interface MatmulTuning {
  /** Adapter description and shader digest the choices were measured for. */
  key: string;
  /** Choice per slot: 'large', 'large B^T', 'skinny A^T', ... */
  choices: Record<string, MatmulChoice>;
  measurements: TuningMeasurement[];
  measuredAt: string;
}

/** Where tuning results are kept between runs. */
export interface TuningStore {
  load(key: string): Promise<MatmulTuning | null>;
  save(tuning: MatmulTuning): Promise<void>;
}

function digest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The cache key for this runtime: adapter and the matmul shaders' text. */
export function tuningKey(rt: Runtime): string {
  const shaders = [...new Set(MATMUL_VARIANTS.map(matmulShader))].map((name) => shaderSource(name)).join('\n');
  return `${rt.description} | matmul ${digest(shaders)}`;
}

/** A JSON file of tunings by key ($XDG_CACHE_HOME or ~/.cache)/descent/tuning.json in Node; localStorage in a browser. */
export function defaultTuningStore(): TuningStore {
  if (!isNode()) {
    const item = 'descent.tuning';
    const all = (): Record<string, MatmulTuning> => {
      try {
        return JSON.parse(globalThis.localStorage?.getItem(item) ?? '{}') as Record<string, MatmulTuning>;
      } catch {
        return {};
      }
    };
    return {
      load: async (key) => all()[key] ?? null,
      save: async (t) => globalThis.localStorage?.setItem(item, JSON.stringify({ ...all(), [t.key]: t })),
    };
  }
  const file = async () => {
    const [os, path] = await Promise.all([import(/* @vite-ignore */ 'node:os' as string), import(/* @vite-ignore */ 'node:path' as string)]);
    const dir = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
    return path.join(dir, 'descent', 'tuning.json') as string;
  };
  const fsp = () => import(/* @vite-ignore */ 'node:fs/promises' as string) as Promise<typeof import('node:fs/promises')>;
  const readAll = async (): Promise<Record<string, MatmulTuning>> => {
    try {
      return JSON.parse(await (await fsp()).readFile(await file(), 'utf8')) as Record<string, MatmulTuning>;
    } catch {
      return {};
    }
  };
  return {
    load: async (key) => (await readAll())[key] ?? null,
    save: async (t) => {
      const f = await file();
      const fs = await fsp();
      await fs.mkdir(f.slice(0, f.lastIndexOf('/')), { recursive: true });
      await fs.writeFile(f, JSON.stringify({ ...(await readAll()), [t.key]: t }, null, 1));
    },
  };
}

async function measure(rt: Runtime, choice: MatmulChoice, [M, N, K]: [number, number, number], mode: MatmulMode, t: { a: Tensor; b: Tensor; c: Tensor }): Promise<number> {
  const d = await prepareMatmul(rt, t, { variant: choice.variant, workgroup: choice.workgroup, transA: mode === 'A^T', transB: mode === 'B^T' });
  try {
    rt.run([d]);
    await rt.sync();
    // Best of a few short rounds: the least disturbed by whatever else the machine is doing.
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      let reps = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 25 || reps < 2) {
        rt.run([d]);
        await rt.sync();
        reps++;
      }
      best = Math.min(best, (performance.now() - t0) / reps);
    }
    return (2 * M * N * K) / (best * 1e6);
  } finally {
    rt.release(d);
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
 * Check every candidate against the reference, measure those that agree on each shape class, plain and with
 * A or B transposed, and install the fastest as
 * the runtime's 'auto' choice for that slot (`classes` narrows the classes measured).
 * With a store, a cached result for this adapter is used instead of measuring, unless `force`.
 */
export async function tuneMatmul(
  rt: Runtime,
  options: { store?: TuningStore | null; force?: boolean; log?: (line: string) => void; classes?: MatmulShapeClass[] } = {},
): Promise<MatmulTuning> {
  const key = tuningKey(rt);
  const store = options.store === undefined ? defaultTuningStore() : options.store;
  const cached = !options.force && store ? await store.load(key) : null;
  if (cached) {
    rt.tuned.matmul = cached.choices;
    return cached;
  }
  const rng = new Rng(7);
  const measurements: TuningMeasurement[] = [];
  const choices: Record<string, MatmulChoice> = {};
  const classes = options.classes ?? (Object.keys(TUNING_SHAPES) as MatmulShapeClass[]);
  // Checked once per candidate and transposition, whatever the number of classes.
  const agreement = new Map<string, boolean>();
  const agrees = async (choice: MatmulChoice, mode: MatmulMode, slot: string) => {
    const key = `${choice.variant} ${choice.workgroup.join('x')} ${mode}`;
    if (!agreement.has(key)) {
      const ok = await agreesWithReference(rt, choice, mode, rng);
      agreement.set(key, ok);
      if (!ok) options.log?.(`${slot.padEnd(11)} skipped ${choice.variant} ${choice.workgroup.join('x')}: its result differs from the reference on this adapter`);
    }
    return agreement.get(key)!;
  };
  for (const cls of classes) {
    const shape = TUNING_SHAPES[cls];
    const [M, N, K] = shape;
    for (const mode of TUNING_MODES) {
      const slot = mode ? `${cls} ${mode}` : cls;
      const t = {
        a: Tensor.from(rt, rng.floats(M * K), mode === 'A^T' ? [K, M] : [M, K]),
        b: Tensor.from(rt, rng.floats(K * N), mode === 'B^T' ? [N, K] : [K, N]),
        c: Tensor.zeros(rt, [M, N]),
      };
      let best: TuningMeasurement | null = null;
      for (const choice of tuningCandidates(rt)) {
        if (!(await agrees(choice, mode, slot))) continue;
        const gflops = await measure(rt, choice, shape, mode, t);
        const m = { slot, choice, gflops };
        measurements.push(m);
        if (!best || gflops > best.gflops) best = m;
      }
      if (best) {
        choices[slot] = best.choice;
        options.log?.(`${slot.padEnd(11)} ${M}x${N}x${K}: ${best.choice.variant} ${best.choice.workgroup.join('x')} at ${best.gflops.toFixed(2)} GFLOP/s`);
      } else {
        options.log?.(`${slot.padEnd(11)} no candidate agrees with the reference on this adapter: the untuned default stays`);
      }
      for (const x of Object.values(t)) x.destroy();
    }
  }
  const tuning: MatmulTuning = { key, choices, measurements, measuredAt: new Date().toISOString() };
  rt.tuned.matmul = choices;
  await store?.save(tuning);
  return tuning;
}

/**
 * Pin 'auto' to given choices per slot (a shape class, e.g. 'large', covers its transposed products unless
 * 'large B^T' / 'large A^T' is given too), or clear tuning with null: the untuned defaults come back.
 */
export function pinMatmul(rt: Runtime, choices: Record<string, MatmulChoice> | null): void {
  if (choices) rt.tuned.matmul = { ...(rt.tuned.matmul as object | undefined), ...choices };
  else delete rt.tuned.matmul;
}
