// The benchmark page's settings: defaults, the "quick" preset, the URL's overrides, and parsing of what a
// person typed (with a message per field, never an exception).
import { SUITES, type Suite } from '../../src/bench/suite.js';

export interface BenchSettings {
  suites: Suite[];
  peers: boolean;
  sizes: number[];
  parameters: number;
  tune: boolean;
  /** The conv suite on one small layer and LeNet-5 at batch 8 (the quick preset), not the full-size layers. */
  small: boolean;
}

export const DEFAULTS: Readonly<BenchSettings> = {
  suites: [...SUITES],
  peers: true,
  sizes: [64, 128, 256, 512],
  parameters: 4_000_000,
  tune: true,
  small: false,
};

/**
 * Small enough for a software adapter in a few minutes: skips the cold start (a second device); one small conv layer,
 * LeNet-5 at batch 8.
 */
export const QUICK: Readonly<BenchSettings> = {
  // No gpt: a peer's GPT step compiles tens of shaders and takes seconds on a software adapter, which would add far
  // more than the end-to-end test can spare; the full preset and ?suites=gpt run it.
  suites: SUITES.filter((s) => s !== 'cold' && s !== 'gpt'),
  peers: true,
  sizes: [64, 128],
  parameters: 1_000_000,
  tune: false,
  small: true,
};

export const MAX_SIZE = 4096;
export const MIN_PARAMETERS = 1024;

/** Settings named in the URL: ?quick=1, and overrides ?suites=matmul,train &sizes=64,128 &params=1000000 &peers=0 &tune=0. */
export function settingsFromUrl(params: URLSearchParams): { settings: BenchSettings; quick: boolean; run: boolean } {
  const quick = params.get('quick') === '1';
  const s: BenchSettings = structuredClone(quick ? QUICK : DEFAULTS) as BenchSettings;
  const suites = params.get('suites');
  if (suites) s.suites = SUITES.filter((x) => suites.split(',').includes(x));
  const sizes = params.get('sizes');
  if (sizes) {
    const parsed = parseSizes(sizes);
    if (parsed.value) s.sizes = parsed.value;
  }
  const p = params.get('params');
  if (p) {
    const parsed = parseParameters(p, Infinity);
    if (parsed.value) s.parameters = parsed.value;
  }
  if (params.has('peers')) s.peers = params.get('peers') !== '0';
  if (params.has('tune')) s.tune = params.get('tune') !== '0';
  return { settings: s, quick, run: params.get('run') === '1' };
}

export interface Parsed<T> {
  value?: T;
  error?: string;
}

/** "64, 128 256" -> [64, 128, 256]: positive integers up to MAX_SIZE, duplicates dropped, in the order given. */
export function parseSizes(text: string): Parsed<number[]> {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return { error: 'Give at least one size, e.g. 64,128,256.' };
  const out: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1) return { error: `“${p}” is not a positive whole number.` };
    if (n > MAX_SIZE) return { error: `${n} is above ${MAX_SIZE}: one n x n matmul would take too long on most adapters.` };
    if (!out.includes(n)) out.push(n);
  }
  return { value: out };
}

/** "4,000,000" or "4e6" -> 4000000, between MIN_PARAMETERS and `max` (the adapter's buffer limit). */
export function parseParameters(text: string, max: number): Parsed<number> {
  const n = Number(text.replace(/[\s,_]/g, ''));
  if (!Number.isFinite(n) || !Number.isInteger(n)) return { error: `“${text}” is not a whole number of parameters.` };
  if (n < MIN_PARAMETERS) return { error: `Use at least ${MIN_PARAMETERS.toLocaleString('en')} parameters: below that, launch overhead is all one measures.` };
  if (n > max) return { error: `At most ${max.toLocaleString('en')} on this adapter (one buffer of 4-byte floats per tensor).` };
  return { value: n };
}
