// CPU reference for the matmul shaders (matmul_naive / _blocked / _tiled.wgsl): plain triple loop,
// float64 accumulation, explicit index arithmetic for each transpose.
import type { Activation } from '../core/activations.js';
import { activate, activateDerivative, activateDerivativeFromOutput } from './activation.js';

/** Options of the reference matmul, as the kernel's. */
export interface RefMatmulOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: Float32Array;
  activation?: Activation;
  slope?: number;
  /** Multiply C[i][j] by gateActivation's derivative at its output gate[i][j] (M x N) instead of activating. */
  gate?: Float32Array;
  gateActivation?: Activation;
  /** gate holds the activation's input, not its output: the derivative is taken there. */
  gateFromInput?: boolean;
}

/**
 * C[i][j] = act(sum_k opA[i][k] * opB[k][j] + bias[j]), C row-major M x N.
 * `a` holds M x K (or K x M when transA), `b` holds K x N (or N x K when transB).
 */
export function matmul(a: Float32Array, b: Float32Array, M: number, N: number, K: number, o: RefMatmulOptions = {}) {
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        const av = o.transA ? a[k * M + i]! : a[i * K + k]!;
        const bv = o.transB ? b[j * K + k]! : b[k * N + j]!;
        acc += av * bv;
      }
      if (o.bias) acc += o.bias[j]!;
      if (o.gate && o.gateActivation)
        c[i * N + j] =
          acc *
          (o.gateFromInput
            ? activateDerivative(o.gateActivation, o.gate[i * N + j]!, o.slope)
            : activateDerivativeFromOutput(o.gateActivation, o.gate[i * N + j]!, o.slope));
      else c[i * N + j] = o.activation ? activate(o.activation, acc, o.slope) : acc;
    }
  }
  return c;
}

/**
 * Gradients of L = sum(dC * (A . B)) for untransposed A (M x K) and B (K x N):
 * dA = dC . B^T (M x K), dB = A^T . dC (K x N), dBias = column sums of dC (N).
 */
export function matmulBackward(a: Float32Array, b: Float32Array, dc: Float32Array, M: number, N: number, K: number) {
  const da = new Float32Array(M * K);
  const db = new Float32Array(K * N);
  const dbias = new Float32Array(N);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      let acc = 0;
      for (let j = 0; j < N; j++) acc += dc[i * N + j]! * b[k * N + j]!;
      da[i * K + k] = acc;
    }
  }
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let i = 0; i < M; i++) acc += a[i * K + k]! * dc[i * N + j]!;
      db[k * N + j] = acc;
    }
  }
  for (let j = 0; j < N; j++) {
    let acc = 0;
    for (let i = 0; i < M; i++) acc += dc[i * N + j]!;
    dbias[j] = acc;
  }
  return { da, db, dbias };
}
