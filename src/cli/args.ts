// A small, strict command-line parser: --name value / --name=value / --flag, unknown options are errors.

export interface OptionSpec {
  name: string;
  help: string;
  /** Default value shown in --help; flags have none. */
  default?: string;
  flag?: boolean;
}

export class UsageError extends Error {}

/** Parse argv against the specs; returns option values by name and the positional arguments. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): { values: Record<string, string>; flags: Set<string>; positional: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}; see --help`);
    if (spec.flag) {
      flags.add(name);
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    values[name] = value;
  }
  for (const s of specs) if (!s.flag && s.default !== undefined && !(s.name in values)) values[s.name] = s.default;
  return { values, flags, positional };
}

/** The options as a --help table. */
export function helpText(specs: readonly OptionSpec[]): string {
  const w = Math.max(...specs.map((s) => s.name.length + (s.flag ? 2 : 8)));
  return specs
    .map((s) => {
      const left = `--${s.name}${s.flag ? '' : ' <value>'}`.padEnd(w + 2);
      return `  ${left} ${s.help}${s.default !== undefined ? ` (default ${s.default})` : ''}`;
    })
    .join('\n');
}

/** A number option; throws UsageError naming the option and the accepted range. */
export function numberOption(values: Record<string, string>, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const raw = values[name]!;
  const v = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(v) &&
    (!opts.integer || Number.isInteger(v)) &&
    (opts.min === undefined || v >= opts.min) &&
    (opts.max === undefined || v <= opts.max);
  if (!ok) {
    const kind = opts.integer ? 'an integer' : 'a number';
    const range = opts.min !== undefined ? ` >= ${opts.min}` : '';
    throw new UsageError(`--${name} must be ${kind}${range}, got '${raw}'`);
  }
  return v;
}
