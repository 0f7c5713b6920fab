import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { runOneShot } from './common.js';
import { ceilDiv, gridFor } from './grid.js';
import { ACTIVATION_CODES, ACTIVATIONS, DEFAULT_LEAKY_SLOPE, derivativeFromOutput, type Activation } from '../core/activations.js';

export { ACTIVATION_CODES, ACTIVATIONS, DEFAULT_LEAKY_SLOPE, derivativeFromOutput, type Activation } from '../core/activations.js';

/** Which activation a kernel applies, and Leaky ReLU's slope. */
export interface ActivationOptions {
  activation: Activation;
  /** Leaky ReLU's negative slope; ignored by the others. Default 0.01. */
  slope?: number;
}

/** The activation's override code and checked slope; throws on an unknown name or a non-finite slope. */
export function activationCode(options: { activation?: string; slope?: number }): { code: number; slope: number } {
  const name = options.activation ?? 'identity';
  if (!Object.hasOwn(ACTIVATION_CODES, name)) {
    throw new OptionError(`unknown activation '${name}'; expected one of: ${ACTIVATIONS.join(', ')}`);
  }
  const slope = options.slope ?? DEFAULT_LEAKY_SLOPE;
  if (!Number.isFinite(slope)) throw new OptionError(`activation slope must be a finite number, got ${slope}`);
  return { code: ACTIVATION_CODES[name as Activation], slope };
}

/**
 * The code and slope of an activation whose backward another kernel carries, taking the derivative from the
 * activation's output (a matmul's or a max pooling's gate); OptionError when the output does not determine it.
 */
export function gateFromOutputCode(what: string, activation: Activation, slope: number | undefined): { code: number; slope: number } {
  const c = activationCode({ activation, slope });
  if (!derivativeFromOutput(activation, c.slope)) {
    throw new OptionError(`${what}: gateActivation '${activation}' has no derivative as a function of its output (slope ${c.slope})`);
  }
  return c;
}

const WG = 256;

function sameSize(what: string, tensors: Record<string, Tensor | undefined>): number {
  const entries = Object.entries(tensors).filter((e): e is [string, Tensor] => e[1] !== undefined);
  const n = entries[0]![1].size;
  for (const [name, t] of entries) {
    if (t.size !== n) {
      const desc = entries.map(([k, v]) => `${k} [${v.shape.join(', ')}]`).join(', ');
      throw new ShapeError(`${what}: '${name}' has ${t.size} elements, expected ${n}; got ${desc}`);
    }
  }
  return n;
}

/** The override code, slope and element count of y = act(x), or a typed error; `y` is checked when given. */
function checkActivation(t: { x: Tensor; y?: Tensor }, options: ActivationOptions): { code: number; slope: number; n: number } {
  const { code, slope } = activationCode(options);
  return { code, slope, n: sameSize(`activation ${options.activation}`, t) };
}

/** As checkActivation, for dx = dy * act'(x); `dx` is checked when given. */
function checkActivationGrad(
  t: { x: Tensor; dy: Tensor; dx?: Tensor },
  options: ActivationOptions & { fromOutput?: boolean },
): { code: number; slope: number; n: number; fromOutput: boolean } {
  const { code, slope } = activationCode(options);
  const fromOutput = options.fromOutput ?? false;
  if (fromOutput && !derivativeFromOutput(options.activation, slope)) {
    throw new OptionError(`activation_grad: the derivative of ${options.activation} (slope ${slope}) cannot be computed from its output`);
  }
  return { code, slope, fromOutput, n: sameSize(`activation_grad ${options.activation}`, t) };
}

/** Prepare y = act(x), element-wise. */
export async function prepareActivation(rt: Runtime, t: { x: Tensor; y: Tensor }, options: ActivationOptions): Promise<Dispatch> {
  const { code, slope, n } = checkActivation(t, options);
  const kernel = await rt.kernel('activation', { constants: { ACT: code, WG } });
  return rt.prepare(kernel, {
    buffers: { x: t.x.ref, y: t.y.ref },
    uniforms: { params: { n, slope } },
    workgroups: gridFor(ceilDiv(n, 4 * WG)),
    needs: { x: n * 4, y: n * 4 },
    label: `activation:${options.activation}`,
  });
}

/**
 * Prepare dx = dy * act'(x), element-wise, from the pre-activation x; with `fromOutput`, `x` holds the
 * output y = act(x) instead (for activations where y determines the derivative).
 */
export async function prepareActivationGrad(
  rt: Runtime,
  t: { x: Tensor; dy: Tensor; dx: Tensor },
  options: ActivationOptions & { fromOutput?: boolean },
): Promise<Dispatch> {
  const { code, slope, n, fromOutput } = checkActivationGrad(t, options);
  const kernel = await rt.kernel('activation_grad', { constants: { ACT: code, FROM_OUTPUT: fromOutput, WG } });
  return rt.prepare(kernel, {
    buffers: { x: t.x.ref, dy: t.dy.ref, dx: t.dx.ref },
    uniforms: { params: { n, slope } },
    workgroups: gridFor(ceilDiv(n, 4 * WG)),
    needs: { x: n * 4, dy: n * 4, dx: n * 4 },
    label: `activation_grad:${options.activation}`,
  });
}

/** y = act(x) on the GPU; allocates y unless `out` is given. */
export async function activation(rt: Runtime, x: Tensor, options: ActivationOptions & { out?: Tensor }): Promise<Tensor> {
  checkActivation({ x, y: options.out }, options);
  const spec = options.out ?? { shape: x.shape, label: `${options.activation}(${x.label})` };
  return (await runOneShot(rt, { y: spec }, ({ y }) => [() => prepareActivation(rt, { x, y }, options)])).y;
}

/** dx = dy * act'(x) on the GPU; allocates dx unless `out` is given. */
export async function activationGrad(rt: Runtime, x: Tensor, dy: Tensor, options: ActivationOptions & { out?: Tensor; fromOutput?: boolean }): Promise<Tensor> {
  checkActivationGrad({ x, dy, dx: options.out }, options);
  const spec = options.out ?? { shape: x.shape, label: `d${x.label}` };
  return (await runOneShot(rt, { dx: spec }, ({ dx }) => [() => prepareActivationGrad(rt, { x, dy, dx }, options)])).dx;
}
