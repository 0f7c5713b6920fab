// Adam and AdamW written out for jax-js (it has no optax), inside a jitted step: PyTorch's form, as TF.js's and
// Descent's: p <- p (1 - lr wd) - lr m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps).
import type * as JAX from '@jax-js/jax';
import { ADAM } from './common.js';

type Arr = JAX.Array;
/** Training state: parameters, Adam's moments of the same layout (empty for SGD), step count. */
export type AdamState = { p: Arr[]; m: Arr[]; v: Arr[]; t: Arr };

/** One update of every parameter from its gradient `g` (each taken); `decay` > 0 makes it AdamW. */
export function adamUpdate(np: typeof JAX.numpy, s: AdamState, g: Arr[], lr: number, decay = 0): AdamState {
  const { beta1: b1, beta2: b2, eps } = ADAM;
  const t = s.t.add(1);
  const c1 = np.subtract(1, np.power(b1, t.ref));
  const c2 = np.subtract(1, np.power(b2, t.ref));
  const p: Arr[] = [];
  const m: Arr[] = [];
  const v: Arr[] = [];
  s.p.forEach((pi, i) => {
    const gi = g[i]!;
    const mi = s.m[i]!.mul(b1).add(gi.ref.mul(1 - b1));
    const vi = s.v[i]!.mul(b2).add(gi.ref.mul(gi).mul(1 - b2));
    const denom = np.sqrt(vi.ref.div(c2.ref)).add(eps);
    p.push((decay > 0 ? pi.mul(1 - lr * decay) : pi).sub(mi.ref.div(c1.ref).mul(lr).div(denom)));
    m.push(mi);
    v.push(vi);
  });
  c1.dispose();
  c2.dispose();
  return { p, m, v, t };
}
