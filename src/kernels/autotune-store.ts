// What the matmul tuner keeps between runs, and where: a JSON file in Node, localStorage in a browser.
import { isNode } from '../gpu/device.js';
import type { MatmulChoice } from './matmul.js';

/** One candidate's measured time at one shape class. */
export interface TuningMeasurement {
  /** The slot: shape class, then ' A^T' or ' B^T' for a transposed operand. */
  slot: string;
  choice: MatmulChoice;
  /** At the median of the samples. */
  gflops: number;
  /** Milliseconds per run, one per round it took part in (dropped after the first when far behind). */
  samples: number[];
}

/** An adapter's tuned matmul choice, as stored and reloaded. */
export interface MatmulTuning {
  /** Adapter, matmul shader digest and tuner version the choices were measured for (tuningKey). */
  key: string;
  /** Choice per slot: 'large', 'large B^T', 'skinny A^T', ... */
  choices: Record<string, MatmulChoice>;
  measurements: TuningMeasurement[];
  measuredAt: string;
}

/** Where tuning results are kept between runs. */
export interface TuningStore {
  /** The stored tuning for an adapter key, or null when none is stored. */
  load(key: string): Promise<MatmulTuning | null>;
  /** Stores a tuning under its adapter key. */
  save(tuning: MatmulTuning): Promise<void>;
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
