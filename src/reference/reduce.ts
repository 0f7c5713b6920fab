// CPU reference for shaders/reduce.wgsl, in float64.

/** out[j] = sum_i x[i, j] for a row-major x [B, N]: the gradient of a bias broadcast over B rows. */
export function sumRows(x: ArrayLike<number>, B: number, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let j = 0; j < N; j++) {
    let s = 0;
    for (let i = 0; i < B; i++) s += x[i * N + j]!;
    out[j] = s;
  }
  return out;
}
