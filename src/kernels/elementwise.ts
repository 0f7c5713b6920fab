import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { runOneShot } from './common.js';
import { ceilDiv, gridFor } from './grid.js';

const WG = 256;

function checkSame(what: string, a: Tensor, b: Tensor, names: [string, string]): number {
  if (a.size !== b.size || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${what}: '${names[0]}' has shape [${a.shape.join(', ')}] but '${names[1]}' has [${b.shape.join(', ')}]; they must match`);
  }
  return a.size;
}

/** Element count of out = a + b, or a ShapeError; `out` is checked when given. */
function checkAdd(a: Tensor, b: Tensor, out?: Tensor): number {
  const n = checkSame('add', a, b, ['a', 'b']);
  if (out) checkSame('add', a, out, ['a', 'out']);
  return n;
}

/** Element count of out = alpha * a, or a typed error; `out` is checked when given. */
function checkScale(a: Tensor, alpha: number, out?: Tensor): number {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new OptionError(`scale: alpha must be a finite number, got ${alpha}`);
  return out ? checkSame('scale', a, out, ['a', 'out']) : a.size;
}

/** Prepare out = a + b (residual connections). */
export async function prepareAdd(rt: Runtime, t: { a: Tensor; b: Tensor; out: Tensor }): Promise<Dispatch> {
  const n = checkAdd(t.a, t.b, t.out);
  const kernel = await rt.kernel('elementwise', { entry: 'add', constants: { WG } });
  return rt.prepare(kernel, {
    buffers: { a: t.a.ref, b: t.b.ref, out: t.out.ref },
    uniforms: { params: { n, alpha: 1 } },
    workgroups: gridFor(ceilDiv(n, 4 * WG)),
    needs: { a: n * 4, b: n * 4, out: n * 4 },
    label: 'add',
  });
}

/** Prepare out = alpha * a. */
export async function prepareScale(rt: Runtime, t: { a: Tensor; out: Tensor }, alpha: number): Promise<Dispatch> {
  const n = checkScale(t.a, alpha, t.out);
  const kernel = await rt.kernel('elementwise', { entry: 'scale', constants: { WG } });
  return rt.prepare(kernel, {
    buffers: { a: t.a.ref, out: t.out.ref },
    uniforms: { params: { n, alpha } },
    workgroups: gridFor(ceilDiv(n, 4 * WG)),
    needs: { a: n * 4, out: n * 4 },
    label: 'scale',
  });
}

/** Prepare out += a (gradient accumulation where a tensor feeds two consumers); out may not alias a. */
export async function prepareAccumulate(rt: Runtime, t: { a: Tensor; out: Tensor }): Promise<Dispatch> {
  const n = checkSame('accumulate', t.a, t.out, ['a', 'out']);
  const kernel = await rt.kernel('elementwise', { entry: 'accumulate', constants: { WG } });
  return rt.prepare(kernel, {
    buffers: { a: t.a.ref, out: t.out.ref },
    uniforms: { params: { n, alpha: 1 } },
    workgroups: gridFor(ceilDiv(n, 4 * WG)),
    needs: { a: n * 4, out: n * 4 },
    label: 'accumulate',
  });
}

/** a + b on the GPU; allocates the result unless `out` is given. */
export async function add(rt: Runtime, a: Tensor, b: Tensor, out?: Tensor): Promise<Tensor> {
  checkAdd(a, b, out);
  const spec = out ?? { shape: a.shape, label: `${a.label}+${b.label}` };
  return (await runOneShot(rt, { out: spec }, (t) => [() => prepareAdd(rt, { a, b, out: t.out })])).out;
}

/** alpha * a on the GPU; allocates the result unless `out` is given. */
export async function scale(rt: Runtime, a: Tensor, alpha: number, out?: Tensor): Promise<Tensor> {
  checkScale(a, alpha, out);
  const spec = out ?? { shape: a.shape, label: `${alpha}*${a.label}` };
  return (await runOneShot(rt, { out: spec }, (t) => [() => prepareScale(rt, { a, out: t.out }, alpha)])).out;
}

/** out += a on the GPU, in place; returns out. */
export async function accumulate(rt: Runtime, a: Tensor, out: Tensor): Promise<Tensor> {
  await runOneShot(rt, { out }, () => [() => prepareAccumulate(rt, { a, out })]);
  return out;
}
