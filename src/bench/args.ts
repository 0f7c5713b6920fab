// `npm run bench`'s command line: the options, their checks (a usage error names the option and what it expects),
// and the help text.
import { OPTIMIZERS } from '../optim/index.js';
import { DEFAULT_SIZES } from './figures.js';
import { DEFAULT_SUITES, SUITES, type Suite } from './suite.js';

export type System = 'descent' | 'tfjs' | 'jax';
export const SYSTEMS: readonly System[] = ['descent', 'tfjs', 'jax'];

export interface BenchArgs {
  help: boolean;
  suites: Suite[];
  sizes: number[];
  parameters?: number;
  optimizers?: string[];
  peers: boolean;
  retune: boolean;
  out: string;
  /** Per system's child process, in seconds. */
  timeoutS: number;
  /** Run one system's part in this process (how the parent starts each child). */
  only?: System;
}

/** Default time one system's part may take before its child is killed: a whole default run takes far less. */
export const DEFAULT_TIMEOUT_S = 1800;

export const HELP = `usage: npm run bench [-- options]
  --suite=matmul,conv,memory,train,gpt,cold   suites to run (default: all; train includes LeNet-5, conv the
                                         conv2d layers of LeNet-5 and a ResNet 3x3 layer, gpt a 2-block GPT
                                         (C=64, T=64, V=65, batch 16, AdamW) in every system)
  --sizes=${DEFAULT_SIZES.join(',')}        square matmul sizes
  --params=10000000                  parameters for the memory-bound kernels and optimizer updates
  --optimizers=sgd,adam              optimizer updates to time
  --no-peers                         skip TensorFlow.js and jax-js
  --retune                           measure the matmul tuning again instead of using the cached one
  --timeout=${DEFAULT_TIMEOUT_S}                     seconds one system's part may take before it is stopped
  --only=descent|tfjs|jax            run one system's part in this process (each part runs in a child
                                     process of its own; the parent starts them with this flag)
  --out=bench-results.json           where to write every figure as JSON`;

/** A bad command line: the message says which option and what it expects. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const KNOWN = ['suite', 'sizes', 'params', 'optimizers', 'out', 'timeout', 'only'];
const FLAGS = ['--help', '--no-peers', '--retune'];

const positive = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}=${text}: expected a positive whole number`);
  return n;
};

/** Parse `process.argv.slice(2)`; throws UsageError on an unknown option or a bad value. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const values = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (m && KNOWN.includes(m[1]!)) values.set(m[1]!, m[2]!);
    else if (!FLAGS.includes(a)) throw new UsageError(`unknown option ${a}: expected ${[...KNOWN.map((k) => `--${k}=...`), ...FLAGS].join(', ')}`);
  }
  const suites = (values.get('suite') ?? DEFAULT_SUITES.join(',')).split(',').filter(Boolean) as Suite[];
  const unknown = suites.filter((s) => !SUITES.includes(s));
  if (unknown.length || suites.length === 0) throw new UsageError(`unknown suite ${unknown.join(', ') || '(none)'}: expected some of ${SUITES.join(', ')}`);
  const only = values.get('only');
  if (only !== undefined && !SYSTEMS.includes(only as System)) throw new UsageError(`--only=${only}: expected one of ${SYSTEMS.join(', ')}`);
  const optimizers = values.get('optimizers')?.split(',');
  const badOptimizer = optimizers?.find((n) => !(n in OPTIMIZERS));
  if (badOptimizer !== undefined)
    throw new UsageError(`--optimizers: unknown optimizer '${badOptimizer}': expected some of ${Object.keys(OPTIMIZERS).join(', ')}`);
  const sizes = values.get('sizes');
  const params = values.get('params');
  const timeout = values.get('timeout');
  return {
    help: argv.includes('--help'),
    suites,
    sizes: sizes ? sizes.split(',').map((s) => positive('sizes', s)) : [...DEFAULT_SIZES],
    ...(params ? { parameters: positive('params', params) } : {}),
    ...(optimizers ? { optimizers } : {}),
    peers: !argv.includes('--no-peers'),
    retune: argv.includes('--retune'),
    out: values.get('out') ?? 'bench-results.json',
    timeoutS: timeout ? positive('timeout', timeout) : DEFAULT_TIMEOUT_S,
    ...(only ? { only: only as System } : {}),
  };
}

/** The arguments a child gets: the parent's own, minus what only the parent uses, plus --only. */
export function childArgs(argv: readonly string[], system: System): string[] {
  return [...argv.filter((a) => !/^--(only|out|timeout)=/.test(a)), `--only=${system}`];
}
