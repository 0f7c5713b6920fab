// Incremental decoding kernels (shaders/decode_embed.wgsl, shaders/attention_decode.wgsl): the token embedding of
// the position being decoded, and one query of causal attention against a per-layer key/value cache. Both read
// the position from a small u32 state buffer on the GPU ([position, counter], advanced by shaders/sample.wgsl),
// so many decode steps can be encoded into one submit with no write from the CPU between them.
import { ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';

/** Longest context the decode attention keeps scores for (workgroup memory, MAX_T in the shader). */
export const MAX_DECODE_CONTEXT = 2048;

/** Bytes of the decoder state buffer: [position, counter] as u32. */
export const DECODE_STATE_BYTES = 8;

function positive(what: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${what}: ${name} must be a positive integer, got ${v}`);
}

/** Prepare out[C] = table[tokens[p]] + pos[p] (pos optional), p = state[0]. */
export async function prepareDecodeEmbedding(
  rt: Runtime,
  t: { tokens: GPUBuffer; state: GPUBuffer; table: Tensor; pos?: Tensor; out: Tensor; V: number; C: number; T: number },
): Promise<Dispatch> {
  positive('decode embedding', 'V', t.V);
  positive('decode embedding', 'C', t.C);
  if (t.table.size < t.V * t.C) throw new ShapeError(`decode embedding: table must hold V*C = ${t.V * t.C} values, has ${t.table.size}`);
  if (t.pos && t.pos.size < t.T * t.C) throw new ShapeError(`decode embedding: pos must hold T*C = ${t.T * t.C} values, has ${t.pos.size}`);
  const kernel = await rt.kernel('decode_embed');
  return rt.prepare(kernel, {
    buffers: { tokens: t.tokens, state: t.state, table: t.table.ref, pos: t.pos?.ref ?? rt.placeholder, out: t.out.ref },
    uniforms: { params: { V: t.V, C: t.C, has_pos: t.pos ? 1 : 0 } },
    needs: { tokens: (t.T + 1) * 4, state: DECODE_STATE_BYTES, table: t.V * t.C * 4, pos: t.pos ? t.T * t.C * 4 : 0, out: t.C * 4 },
    workgroups: [Math.ceil(t.C / 64)],
    label: `decode embedding V=${t.V} C=${t.C}`,
  });
}

/** Prepare one decode step of causal attention: append k, v of the one-row qkv [3C] to cache [2, T, C], attend, write out [C]. */
export async function prepareAttentionDecode(
  rt: Runtime,
  t: { qkv: Tensor; cache: Tensor; state: GPUBuffer; out: Tensor; H: number; D: number; T: number; scale?: number },
): Promise<Dispatch> {
  for (const k of ['H', 'D', 'T'] as const) positive('attention decode', k, t[k]);
  if (t.T > MAX_DECODE_CONTEXT) throw new ShapeError(`attention decode: context ${t.T} exceeds ${MAX_DECODE_CONTEXT}`);
  const C = t.H * t.D;
  const expect = (name: string, x: Tensor, n: number) => {
    if (x.size !== n) throw new ShapeError(`attention decode: '${name}' must have ${n} elements, got ${x.size}`);
  };
  expect('qkv', t.qkv, 3 * C);
  expect('cache', t.cache, 2 * t.T * C);
  expect('out', t.out, C);
  const kernel = await rt.kernel('attention_decode');
  return rt.prepare(kernel, {
    buffers: { qkv: t.qkv.ref, cache: t.cache.ref, state: t.state, out: t.out.ref },
    uniforms: { params: { H: t.H, D: t.D, T: t.T, scale: t.scale ?? 1 / Math.sqrt(t.D) } },
    needs: { state: DECODE_STATE_BYTES },
    workgroups: [t.H],
    label: `attention decode H=${t.H} D=${t.D} T=${t.T}`,
  });
}
