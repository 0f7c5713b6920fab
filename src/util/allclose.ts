/** Tolerances of the comparison |got - want| <= atol + rtol * |want|. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface CloseReport {
  ok: boolean;
  /** Largest |got - want|. */
  maxAbsErr: number;
  /** Number of elements outside the tolerance (NaN or length mismatch included). */
  bad: number;
  /** A description of the first failing pairs, empty when ok. */
  detail: string;
}

/** Tolerance for an f32 reduction of length K: atol grows with sqrt(K), as rounding error does (llm.c's rule). */
export function reductionTolerance(K: number, base: Tolerance = { atol: 1e-5, rtol: 1e-4 }): Tolerance {
  return { atol: base.atol * Math.sqrt(Math.max(1, K)), rtol: base.rtol };
}

/** Compare element-wise; NaN anywhere fails unless both are NaN. */
export function allclose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tolerance, show = 5): CloseReport {
  if (got.length !== want.length) {
    return { ok: false, maxAbsErr: Infinity, bad: Math.max(got.length, want.length), detail: `length ${got.length} != ${want.length}` };
  }
  let maxAbsErr = 0;
  let bad = 0;
  const pairs: string[] = [];
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const err = Math.abs(g - w);
    const ok = err <= tol.atol + tol.rtol * Math.abs(w) || (Number.isNaN(g) && Number.isNaN(w)) || g === w;
    if (Number.isNaN(g) !== Number.isNaN(w)) maxAbsErr = Infinity;
    else if (err > maxAbsErr) maxAbsErr = err;
    if (!ok) {
      bad++;
      if (pairs.length < show) pairs.push(`[${i}] got ${g} want ${w} (err ${err.toExponential(2)})`);
    }
  }
  const detail = bad ? `${bad}/${got.length} outside atol ${tol.atol.toExponential(2)} rtol ${tol.rtol}: ${pairs.join('; ')}` : '';
  return { ok: bad === 0, maxAbsErr, bad, detail };
}
