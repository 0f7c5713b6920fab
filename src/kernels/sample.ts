// Token sampling on the GPU (shaders/sample.wgsl): greedy, temperature and top-k, with a counter-based draw keyed
// by (seed, counter), so a seed always gives the same tokens. The generator uses modes 1 (draw and advance) and 2
// (advance only); sampleTokens draws rows of logits at once (mode 0).
import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { DECODE_STATE_BYTES } from './decode.js';

/** How a token is drawn from logits. */
export interface SamplingOptions {
  /** 0 is greedy (argmax); otherwise logits are divided by it before the softmax. Default 1. */
  temperature?: number;
  /** Keep only the k largest logits (ties with the k-th kept); 0 or absent keeps all. */
  topK?: number;
  /** Key of the counter-based draw (a u32). Default 0. */
  seed?: number;
}

export const SAMPLE_MODE = { rows: 0, generate: 1, advance: 2 } as const;

/** Checked sampling options, as the kernel's uniform fields; each bad value is an OptionError naming it. */
export function samplingUniforms(o: SamplingOptions, V: number, what = 'sample'): { temperature: number; top_k: number; seed: number } {
  const temperature = o.temperature ?? 1;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new OptionError(`${what}: temperature must be a finite number >= 0 (0 is greedy), got ${String(o.temperature)}`);
  }
  const topK = o.topK ?? 0;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0 || topK > V) {
    throw new OptionError(`${what}: topK must be an integer in 1..${V} (the vocabulary), or 0 for all, got ${String(o.topK)}`);
  }
  const seed = o.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new OptionError(`${what}: seed must be an integer in 0..4294967295, got ${String(o.seed)}`);
  }
  return { temperature, top_k: topK, seed };
}

/** Prepare a sampling dispatch over `rows` rows of V logits (mode 'rows'), or the generator's one-row modes. */
export async function prepareSample(
  rt: Runtime,
  t: { logits: Tensor; state: GPUBuffer; tokens: GPUBuffer; V: number; rows?: number; tokenSlots?: number },
  mode: keyof typeof SAMPLE_MODE,
  options: SamplingOptions = {},
): Promise<Dispatch> {
  const rows = mode === 'rows' ? (t.rows ?? 1) : 1;
  if (!Number.isInteger(t.V) || t.V < 1) throw new ShapeError(`sample: V must be a positive integer, got ${t.V}`);
  if (t.logits.size < rows * t.V) throw new ShapeError(`sample: logits must hold rows*V = ${rows * t.V} values, has ${t.logits.size}`);
  const kernel = await rt.kernel('sample');
  return rt.prepare(kernel, {
    buffers: { logits: t.logits.ref, state: t.state, tokens: t.tokens },
    uniforms: { params: { V: t.V, ...samplingUniforms(options, t.V), mode: SAMPLE_MODE[mode] } },
    needs: { logits: rows * t.V * 4, state: DECODE_STATE_BYTES, tokens: (t.tokenSlots ?? rows) * 4 },
    workgroups: [mode === 'advance' ? 1 : rows],
    label: `sample ${mode} V=${t.V}`,
  });
}

/** Draw one token from each of `rows` rows of V logits, row r with counter `counter + r`; one-shot (allocates). */
export async function sampleTokens(
  rt: Runtime,
  logits: Tensor,
  V: number,
  rows: number,
  options: SamplingOptions & { counter?: number } = {},
): Promise<Uint32Array> {
  const state = rt.upload(Uint32Array.of(0, options.counter ?? 0), 'sample state');
  const tokens = rt.buffers.create(rows * 4, { label: 'sampled tokens' });
  try {
    const d = await prepareSample(rt, { logits, state, tokens, V, rows }, 'rows', options);
    rt.runOnce(d);
    const out = new Uint32Array(await rt.buffers.read(tokens, rows * 4));
    rt.checkErrors();
    return out;
  } finally {
    rt.buffers.free(state);
    rt.buffers.free(tokens);
  }
}
