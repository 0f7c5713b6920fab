// The checks every optimizer's options go through (an unknown name, a value out of range, a non-object are
// each an OptionError naming the optimizer, the option and its valid range), the check of a learning rate
// at a step, and of an object given where an optimizer is expected.
import { OptionError } from '../core/errors.js';
import type { OptimizerDef, ParamGroup } from './optimizer.js';

/** The largest finite f32: a uniform above it would be Inf on the GPU. */
export const F32_MAX = 3.4028234663852886e38;

type Check = 'rate' | 'unit' | 'closedUnit' | 'positive' | 'nonNegative' | 'bool' | 'betas' | 'choice';
interface Spec {
  check: Check;
  default: unknown;
  choices?: readonly string[];
}

// Rates, decays, eps and norms become f32 uniforms: above F32_MAX they would be Inf there, and an eps below
// the smallest normal f32 (1.2e-38) would be flushed to 0 and divide by zero.
const RANGE: Record<Check, string> = {
  rate: 'a finite number >= 0 and <= 3.4e38 (f32)',
  unit: 'in [0, 1)',
  closedUnit: 'in [0, 1]',
  positive: 'a finite number >= 1.2e-38 and <= 3.4e38 (f32)',
  nonNegative: 'a finite number >= 0 and <= 3.4e38 (f32)',
  bool: 'true or false',
  betas: 'two numbers, each in [0, 1)',
  choice: '',
};

function valid(check: Check, v: unknown, choices?: readonly string[]): boolean {
  const num = typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= F32_MAX;
  switch (check) {
    case 'rate':
    case 'nonNegative':
      return num && (v as number) >= 0;
    case 'unit':
      return num && (v as number) >= 0 && (v as number) < 1;
    case 'closedUnit':
      return num && (v as number) >= 0 && (v as number) <= 1;
    case 'positive':
      return num && (v as number) >= 2 ** -126;
    case 'bool':
      return typeof v === 'boolean';
    case 'betas':
      return Array.isArray(v) && v.length === 2 && v.every((b) => valid('unit', b));
    case 'choice':
      return typeof v === 'string' && !!choices?.includes(v);
  }
}

const COMMON: Record<string, Spec> = {
  weightDecay: { check: 'nonNegative', default: 0 },
  decayAll: { check: 'bool', default: false },
  clipNorm: { check: 'nonNegative', default: 0 },
  groups: { check: 'bool', default: [] }, // checked separately
};

/**
 * Fill in defaults and check every option: an unknown name or a value out of range is an OptionError naming
 * the optimizer, the option and its valid range.
 */
export function resolveOptions<T extends object>(optimizer: string, given: T, specs: Record<string, Spec>): Record<string, unknown> {
  checkOptionsObject(optimizer, given);
  const all = { ...COMMON, ...specs };
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in all)) {
      throw new OptionError(`${optimizer}: unknown option '${key}'; valid options: ${Object.keys(all).join(', ')}`);
    }
  }
  for (const [key, spec] of Object.entries(all)) {
    // Only an absent option takes the default: null is a value, and not a valid one.
    const value = (given as Record<string, unknown>)[key];
    const v = value === undefined ? spec.default : value;
    if (key === 'groups') {
      out[key] = checkGroups(optimizer, v);
      continue;
    }
    if (!valid(spec.check, v, spec.choices)) {
      const range = spec.check === 'choice' ? `one of ${spec.choices!.map((c) => `'${c}'`).join(', ')}` : RANGE[spec.check];
      const what = key === 'lr' ? 'learning rate (lr)' : `'${key}'`;
      throw new OptionError(`${optimizer}: ${what} must be ${range}, got ${JSON.stringify(v) ?? String(v)}`);
    }
    out[key] = v;
  }
  return out;
}

/** An optimizer's options must be an object (or absent): sgd(null) or adam(0.01) is an OptionError. */
export function checkOptionsObject(optimizer: string, given: unknown): void {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new OptionError(
      `${optimizer}: options must be an object such as { lr: 0.01 }, got ${given === null ? 'null' : Array.isArray(given) ? 'an array' : `${typeof given} ${String(given)}`}`,
    );
  }
}

function checkGroups(optimizer: string, v: unknown): ParamGroup[] {
  if (!Array.isArray(v)) throw new OptionError(`${optimizer}: 'groups' must be an array of { match, lrScale?, weightDecay? }`);
  return v.map((g: ParamGroup, i) => {
    const ok = typeof g === 'object' && g !== null && (typeof g.match === 'string' || g.match instanceof RegExp || typeof g.match === 'function');
    if (!ok) throw new OptionError(`${optimizer}: groups[${i}].match must be a name, a RegExp or a function`);
    for (const k of Object.keys(g)) {
      if (!['match', 'lrScale', 'weightDecay'].includes(k))
        throw new OptionError(`${optimizer}: groups[${i}] has unknown option '${k}'; valid: match, lrScale, weightDecay`);
    }
    if (g.lrScale !== undefined && !valid('rate', g.lrScale))
      throw new OptionError(`${optimizer}: groups[${i}].lrScale must be ${RANGE.rate}, got ${g.lrScale}`);
    if (g.weightDecay !== undefined && !valid('nonNegative', g.weightDecay)) {
      throw new OptionError(`${optimizer}: groups[${i}].weightDecay must be ${RANGE.nonNegative}, got ${g.weightDecay}`);
    }
    return g;
  });
}

/** Spec helpers for optimizer definitions. */
export const spec = {
  rate: (d: number): Spec => ({ check: 'rate', default: d }),
  unit: (d: number): Spec => ({ check: 'unit', default: d }),
  closedUnit: (d: number): Spec => ({ check: 'closedUnit', default: d }),
  positive: (d: number): Spec => ({ check: 'positive', default: d }),
  nonNegative: (d: number): Spec => ({ check: 'nonNegative', default: d }),
  bool: (d: boolean): Spec => ({ check: 'bool', default: d }),
  betas: (d: [number, number]): Spec => ({ check: 'betas', default: d }),
  choice: (d: string, choices: readonly string[]): Spec => ({ check: 'choice', default: d, choices }),
};

/** The fields of an OptimizerDef every optimizer fills the same way from resolved options. */
export function commonFields(o: Record<string, unknown>) {
  return {
    lr: o.lr as number,
    weightDecay: o.weightDecay as number,
    decayAll: o.decayAll as boolean,
    clipNorm: o.clipNorm as number,
    groups: o.groups as ParamGroup[],
  };
}

/**
 * Check one step's learning rate (e.g. a schedule's value) before it is used: finite, >= 0 and within f32,
 * since it becomes an f32 uniform. `where` names the caller, e.g. 'fit: learningRate at step 12'.
 */
export function checkLearningRate(lr: unknown, where: string): number {
  if (!valid('rate', lr))
    throw new OptionError(`${where}: learning rate must be ${RANGE.rate}, got ${typeof lr === 'number' ? lr : (JSON.stringify(lr) ?? String(lr))}`);
  return lr as number;
}

const DEF_FIELDS: [key: keyof OptimizerDef, type: string][] = [
  ['name', 'string'],
  ['shader', 'string'],
  ['rule', 'string'],
  ['constants', 'object'],
  ['stateInit', 'object'],
  ['hyper', 'object'],
  ['options', 'object'],
  ['decayAll', 'boolean'],
  ['decoupled', 'boolean'],
  ['scalars', 'function'],
  ['reference', 'function'],
];

/**
 * Check that `def` is an optimizer made by one of the factories (sgd(), adam(), ...), where one is accepted
 * (compile's `optimizer`, setOptimizer): a plain `{}` or a factory passed uncalled is an OptionError.
 */
export function checkOptimizer(def: unknown, where: string): OptimizerDef {
  const hint = 'make one with a factory such as sgd({ lr: 0.01 }) or adam()';
  if (typeof def === 'function')
    throw new OptionError(`${where}: got the function ${def.name || '(anonymous)'}, not an optimizer; call it: ${def.name || 'sgd'}()`);
  if (typeof def !== 'object' || def === null) throw new OptionError(`${where}: optimizer must be an object; ${hint}, got ${String(def)}`);
  const d = def as Record<string, unknown>;
  for (const [key, type] of DEF_FIELDS) {
    if (typeof d[key] !== type || d[key] === null) throw new OptionError(`${where}: not an optimizer: '${key}' should be a ${type}; ${hint}`);
  }
  if (!Array.isArray(d.state) || !Array.isArray(d.groups)) throw new OptionError(`${where}: not an optimizer: 'state' and 'groups' should be arrays; ${hint}`);
  checkLearningRate(d.lr, `${where} (${String(d.name)})`);
  for (const key of ['weightDecay', 'clipNorm'] as const) {
    if (!valid('nonNegative', d[key])) throw new OptionError(`${where} (${String(d.name)}): '${key}' must be ${RANGE.nonNegative}, got ${String(d[key])}`);
  }
  return def as OptimizerDef;
}
