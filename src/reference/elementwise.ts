// CPU reference for shaders/elementwise.wgsl (add, scale, accumulate).

/** out[i] = a[i] + b[i]. */
export function add(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** out[i] = alpha * a[i]. */
export function scale(a: Float32Array, alpha: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = alpha * a[i]!;
  return out;
}

/** The new value of `out` after out[i] += a[i] (returned; `out` is left unchanged). */
export function accumulate(out: Float32Array, a: Float32Array): Float32Array {
  const next = new Float32Array(out.length);
  for (let i = 0; i < out.length; i++) next[i] = out[i]! + a[i]!;
  return next;
}
