import { OptionError, ShapeError } from '../core/errors.js';
import type { Dispatch } from '../gpu/kernel.js';
import type { Runtime } from '../gpu/runtime.js';
import type { Tensor } from '../gpu/tensor.js';
import { activationCode, gateFromOutputCode, type Activation } from './activation.js';
import { runOneShot } from './common.js';
import { ceilDiv } from './grid.js';
import { gemmBindings } from './matmul-gemm.js';
import { tunedMatmulChoices } from './tuning.js';

/** The matmul variants; each is a shader matmul_<variant>.wgsl and all pass the same tests. */
export const MATMUL_VARIANTS = ['naive', 'blocked', 'interleaved', 'wide', 'block8', 'block16', 'subgroup', 'vec4', 'tiled', 'gemm'] as const;
/** The matmul kernels that can be pinned or tuned. */
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** Rows per invocation of the variants that share matmul_wide.wgsl. */
const WIDE_ROWS: Partial<Record<MatmulVariant, number>> = { wide: 4, block8: 8, block16: 16 };

/** The shader of each variant: 'wide', 'block8' and 'block16' are one shader with 4, 8 or 16 rows per invocation. */
export function matmulShader(variant: MatmulVariant): string {
  return WIDE_ROWS[variant] ? 'matmul_wide' : `matmul_${variant}`;
}

/** Default workgroup size per variant, as [x, y]; 'tiled' and 'gemm' are fixed at 16 x 16. */
export const DEFAULT_MATMUL_WORKGROUP: Record<MatmulVariant, [number, number]> = {
  naive: [16, 16],
  blocked: [8, 8],
  interleaved: [8, 8],
  wide: [8, 8],
  block8: [8, 8],
  block16: [8, 4],
  subgroup: [8, 4],
  vec4: [8, 8],
  tiled: [16, 16],
  gemm: [16, 16],
};

/** The workgroup a variant is written for, where its shader fixes it (its tile and staging assume that size). */
export const FIXED_MATMUL_WORKGROUP: Partial<Record<MatmulVariant, [number, number]>> = { tiled: [16, 16], gemm: [16, 16] };

/** Elements of C one invocation computes, per variant, as [columns, rows]. */
const PER_INVOCATION: Record<MatmulVariant, [number, number]> = {
  naive: [1, 1],
  blocked: [4, 4],
  interleaved: [4, 4],
  wide: [8, 4],
  block8: [8, 8],
  block16: [8, 16],
  subgroup: [8, 16],
  vec4: [4, 4],
  tiled: [4, 4],
  gemm: [8, 8],
};

/**
 * The subgroup size the 'subgroup' variant can use on this runtime: the 'subgroups' feature, one fixed size
 * (the adapter's minimum and maximum agree) and a divisor of its 16 rows; otherwise null.
 */
export function matmulSubgroupSize(rt: Runtime): number | null {
  if (!rt.features.has('subgroups')) return null;
  const info = rt.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const size = info.subgroupMinSize;
  return size !== undefined && size === info.subgroupMaxSize && [4, 8, 16].includes(size) ? size : null;
}

/** A variant's workgroup fitted to this runtime: the subgroup variant's x is the adapter's subgroup size. */
export function fitWorkgroup(rt: Runtime, variant: MatmulVariant, workgroup: [number, number]): [number, number] {
  const sg = variant === 'subgroup' ? matmulSubgroupSize(rt) : null;
  return sg !== null ? [sg, workgroup[1]] : workgroup;
}

/** A variant's default workgroup on this runtime: the subgroup variant's is [subgroup size, 4]. */
export function defaultWorkgroup(rt: Runtime, variant: MatmulVariant): [number, number] {
  return fitWorkgroup(rt, variant, DEFAULT_MATMUL_WORKGROUP[variant]);
}

/** Throws an OptionError naming the expected size when a variant with a fixed workgroup is given another. */
export function checkFixedWorkgroup({ variant, workgroup: [x, y] }: { variant: MatmulVariant; workgroup: [number, number] }): void {
  const fixed = FIXED_MATMUL_WORKGROUP[variant];
  if (fixed && (x !== fixed[0] || y !== fixed[1])) {
    throw new OptionError(`matmul: the ${variant} variant's workgroup is fixed at [${fixed.join(', ')}], got [${x}, ${y}]`);
  }
}

/** A kernel choice for a matmul: the variant and its workgroup size. */
export interface MatmulChoice {
  variant: MatmulVariant;
  workgroup: [number, number];
}

/**
 * Shape classes the tuner measures separately, by the size of C: small (up to 64 x 64), skinny (a side of at
 * most 16, e.g. a classifier layer), medium (up to 256 x 256, e.g. a hidden layer at batch 64) and large.
 */
export type MatmulShapeClass = 'small' | 'skinny' | 'medium' | 'large';

/** The class a product falls in. */
export function matmulShapeClass(M: number, N: number, _K: number): MatmulShapeClass {
  const out = M * N;
  if (out <= 64 * 64) return 'small';
  if (Math.min(M, N) <= 16) return 'skinny';
  return out <= 256 * 256 ? 'medium' : 'large';
}

/** Transposes, epilogue and kernel variant of a matmul. */
export interface MatmulOptions {
  /** Use A transposed: `a` holds K x M. */
  transA?: boolean;
  /** Use B transposed: `b` holds N x K. */
  transB?: boolean;
  /** Activation applied after the bias, fused into the store. Default identity. */
  activation?: Activation;
  /** Leaky ReLU's negative slope. */
  slope?: number;
  /**
   * Which kernel; 'auto' takes the runtime's tuned choice for the product's shape class (see
   * src/kernels/autotune.ts), or without tuning pickMatmulVariant's default.
   */
  variant?: MatmulVariant | 'auto';
  /** Workgroup size [x, y] for the variants that take one (default theirs; 'tiled' and 'gemm' are fixed). */
  workgroup?: [number, number];
  /**
   * Backpropagation through an activation, fused into the product: C is multiplied element-wise by the
   * derivative of `gateActivation`, taken from the `gate` tensor [M, N]: that activation's output (`gateFrom:
   * 'output'`, the default; needs an activation whose derivative is a function of its output, not GELU) or its
   * input (`gateFrom: 'input'`, any activation). For an input gradient dX = (dY . W) * act'(...) in one
   * dispatch; no bias and no forward activation.
   */
  gateActivation?: Activation;
  /** What the gate tensor holds: the activation's 'output' (default) or its 'input'. */
  gateFrom?: 'output' | 'input';
}

export interface MatmulShape {
  M: number;
  N: number;
  K: number;
}

const dims = (t: Tensor) => `[${t.shape.join(', ')}]`;

/** M, N, K of C = op(A) . op(B), or a ShapeError naming both operands. */
export function matmulShape(a: Tensor, b: Tensor, options: MatmulOptions = {}): MatmulShape {
  for (const [name, t] of [
    ['A', a],
    ['B', b],
  ] as const) {
    if (t.shape.length !== 2) throw new ShapeError(`matmul: ${name} must be 2-D, got shape ${dims(t)}`);
  }
  const [ar, ac] = a.shape as [number, number];
  const [br, bc] = b.shape as [number, number];
  const [M, Ka] = options.transA ? [ac, ar] : [ar, ac];
  const [Kb, N] = options.transB ? [bc, br] : [br, bc];
  if (Ka !== Kb) {
    throw new ShapeError(
      `matmul: op(A) is ${M}x${Ka} (A ${dims(a)}${options.transA ? ' transposed' : ''}) and op(B) is ${Kb}x${N} ` +
        `(B ${dims(b)}${options.transB ? ' transposed' : ''}); inner dimensions ${Ka} and ${Kb} must be equal`,
    );
  }
  if (M === 0 || N === 0 || Ka === 0) throw new ShapeError(`matmul: empty product ${M}x${Ka} . ${Kb}x${N}`);
  return { M, N, K: Ka };
}

/** Transposition modes tuned separately: plain, A transposed (weight gradients), B transposed (dense forward). */
export type MatmulMode = '' | 'A^T' | 'B^T';

/** The tuning slot of a product: its shape class, and its transposition when only one operand is transposed. */
export function matmulTuningSlot(M: number, N: number, K: number, transA = false, transB = false): string {
  const cls = matmulShapeClass(M, N, K);
  return transA === transB ? cls : `${cls} ${transA ? 'A^T' : 'B^T'}`;
}

/**
 * The variant 'auto' resolves to on this runtime without tuning (for a product of the given shape class).
 * CPU adapters: 'subgroup' where subgroups have 8 or more lanes (lavapipe on AVX2: about 1.6x block16 and 2x
 * block8), else 'blocked' (SwiftShader, whose 4-lane subgroups gain little from sharing: blocked is its fastest
 * untuned kernel), and 'blocked' for skinny products, whose few columns would leave most of a 16 x 8 tile
 * idle. GPUs (not measured: this project's machines have none): 'gemm' for medium and large products, whose
 * 128 x 128 tiles with 8 x 8 per invocation load 4 workgroup-memory vec4s per 64 multiply-adds where 'tiled'
 * loads 2 vec4s per 16; 'tiled' for small products (C within 64 x 64: one 128 x 128 tile would leave 3/4 of
 * its invocations idle, and a 64 x 64 tile covers it exactly) and skinny ones (a side of at most 16 fills at
 * most an eighth of a 128-wide tile, a quarter of a 64-wide one). The tuner overrides any of these.
 */
export function pickMatmulVariant(rt: Runtime, cls: MatmulShapeClass = 'large'): MatmulVariant {
  if (!rt.isSoftware) return cls === 'medium' || cls === 'large' ? 'gemm' : 'tiled';
  if (cls === 'skinny') return 'blocked';
  return (matmulSubgroupSize(rt) ?? 0) >= 8 ? 'subgroup' : 'blocked';
}

/**
 * The kernel 'auto' runs for this product: the tuned choice for its slot (shape class and transposition), else
 * for its shape class, else the untuned default.
 */
export function autoMatmulChoice(rt: Runtime, M: number, N: number, K: number, transA = false, transB = false): MatmulChoice {
  const table = tunedMatmulChoices(rt);
  const tuned = table?.[matmulTuningSlot(M, N, K, transA, transB)] ?? table?.[matmulShapeClass(M, N, K)];
  return tuned ?? defaultMatmulChoice(rt, matmulShapeClass(M, N, K));
}

/** The untuned choice for a shape class: pickMatmulVariant's variant with its default workgroup. */
export function defaultMatmulChoice(rt: Runtime, cls: MatmulShapeClass): MatmulChoice {
  const variant = pickMatmulVariant(rt, cls);
  return { variant, workgroup: defaultWorkgroup(rt, variant) };
}

function resolveChoice(rt: Runtime, shape: MatmulShape, options: MatmulOptions): MatmulChoice {
  if (!options.variant || options.variant === 'auto') {
    if (options.workgroup) throw new OptionError(`matmul: a workgroup size needs an explicit variant, not 'auto'`);
    return autoMatmulChoice(rt, shape.M, shape.N, shape.K, options.transA, options.transB);
  }
  const variant = options.variant;
  if (!MATMUL_VARIANTS.includes(variant)) {
    throw new OptionError(`unknown matmul variant '${variant}'; expected auto or one of: ${MATMUL_VARIANTS.join(', ')}`);
  }
  const sg = matmulSubgroupSize(rt);
  const workgroup = options.workgroup ?? defaultWorkgroup(rt, variant);
  const [x, y] = workgroup;
  const max = rt.limits.maxComputeInvocationsPerWorkgroup;
  if (variant === 'subgroup' && sg !== null && x !== sg) {
    throw new OptionError(`matmul: the subgroup variant's workgroup must be [${sg}, rows] on this adapter (its subgroup size), got [${x}, ${y}]`);
  }
  checkFixedWorkgroup({ variant, workgroup });
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 1 || y < 1 || x * y > max) {
    throw new OptionError(`matmul: workgroup must be two positive integers with a product <= ${max}, got [${x}, ${y}]`);
  }
  return { variant, workgroup };
}

/** The gate's activation code, or null without a gate; throws on an inconsistent gate. */
function gateCode(t: { bias?: Tensor; gate?: Tensor }, options: MatmulOptions, actCode: number, M: number, N: number): number | null {
  if (!t.gate && !options.gateActivation) return null;
  if (!t.gate || !options.gateActivation) {
    throw new OptionError(`matmul: a gate needs both the gate tensor and gateActivation, got ${t.gate ? 'no gateActivation' : 'no gate tensor'}`);
  }
  if (t.gate.shape.length !== 2 || t.gate.shape[0] !== M || t.gate.shape[1] !== N) {
    throw new ShapeError(`matmul: gate must have C's shape [${M}, ${N}], got ${dims(t.gate)}`);
  }
  if (t.bias || actCode !== activationCode({}).code) throw new OptionError('matmul: a gate cannot be combined with a bias or a forward activation');
  const { code } = activationCode({ activation: options.gateActivation, slope: options.slope });
  const from = options.gateFrom ?? 'output';
  if (from !== 'output' && from !== 'input') throw new OptionError(`matmul: gateFrom must be 'output' or 'input', got ${JSON.stringify(from)}`);
  if (from === 'output') gateFromOutputCode('matmul', options.gateActivation, options.slope);
  return code;
}

/** Every check of a product, before anything is made: operand shapes (C's when given), activation, gate, kernel choice. */
function checkMatmul(rt: Runtime, t: { a: Tensor; b: Tensor; c?: Tensor; bias?: Tensor; gate?: Tensor }, options: MatmulOptions) {
  const shape = matmulShape(t.a, t.b, options);
  const { M, N } = shape;
  if (t.c && (t.c.shape.length !== 2 || t.c.shape[0] !== M || t.c.shape[1] !== N)) {
    throw new ShapeError(`matmul: C must have shape [${M}, ${N}], got ${dims(t.c)}`);
  }
  if (t.bias && (t.bias.shape.length !== 1 || t.bias.shape[0] !== N)) {
    throw new ShapeError(`matmul: bias must have shape [${N}], got ${dims(t.bias)}`);
  }
  const { code, slope } = activationCode(options);
  const gate = gateCode(t, options, code, M, N);
  return { shape, code, slope, gate, chosen: resolveChoice(rt, shape, options) };
}

/** Prepare C = act(op(A) . op(B) + bias) as one dispatch. */
export async function prepareMatmul(
  rt: Runtime,
  t: { a: Tensor; b: Tensor; c: Tensor; bias?: Tensor; gate?: Tensor },
  options: MatmulOptions = {},
): Promise<Dispatch> {
  const { shape, code, slope, gate, chosen } = checkMatmul(rt, t, options);
  const { M, N, K } = shape;
  // vec4 loads need A untransposed and K, N multiples of 4 (and so 16-byte aligned rows); otherwise 'wide'.
  const vec4Fits = !options.transA && K % 4 === 0 && N % 4 === 0 && gate === null;
  // 'subgroup' needs subgroups of one fixed size; elsewhere the same tile without the sharing, 'block16'.
  const { variant, workgroup } =
    chosen.variant === 'vec4' && !vec4Fits
      ? { ...chosen, variant: 'wide' as const }
      : chosen.variant === 'subgroup' && matmulSubgroupSize(rt) === null
        ? { variant: 'block16' as const, workgroup: DEFAULT_MATMUL_WORKGROUP.block16 }
        : chosen;
  const wgConstants: Record<string, number | boolean> = FIXED_MATMUL_WORKGROUP[variant]
    ? {}
    : variant === 'subgroup'
      ? { SG: workgroup[0], WG_Y: workgroup[1] }
      : { WG_X: workgroup[0], WG_Y: workgroup[1] };
  if (variant === 'vec4') wgConstants.TRANS_B = !!options.transB;
  if (WIDE_ROWS[variant]) wgConstants.ROWS = WIDE_ROWS[variant];
  const gemm = variant === 'gemm' ? gemmBindings(rt, t, shape, options) : null;
  // Every variant but vec4 shares include/matmul_common.wgsl's epilogue, gate included.
  const gated = variant !== 'vec4';
  if (gated) Object.assign(wgConstants, { GATE: gate !== null, GATE_ACT: gate ?? 0 });
  // Only where used, so the pipelines of every other product keep their keys.
  if (gated && gate !== null && options.gateFrom === 'input') wgConstants.GATE_INPUT = true;
  const kernel = await rt.kernel(matmulShader(variant), { constants: { ACT: code, HAS_BIAS: !!t.bias, ...wgConstants } });
  const cx = workgroup[0] * PER_INVOCATION[variant][0];
  const cy = workgroup[1] * PER_INVOCATION[variant][1];
  return rt.prepare(kernel, {
    buffers: {
      ...{ a: t.a.ref, b: t.b.ref, c: t.c.ref, bias: t.bias?.ref ?? rt.placeholder, ...(gated ? { gate: t.gate?.ref ?? rt.placeholder } : {}) },
      ...gemm?.buffers,
    },
    uniforms: {
      params: { M, N, K, a_si: options.transA ? 1 : K, a_sk: options.transA ? M : 1, b_sk: options.transB ? 1 : N, b_sj: options.transB ? K : 1, slope },
      ...(gemm ? { lay: gemm.layout } : {}),
    },
    workgroups: [ceilDiv(N, cx), ceilDiv(M, cy)],
    needs: { a: M * K * 4, b: K * N * 4, c: M * N * 4, bias: t.bias ? N * 4 : 0, ...(gated ? { gate: t.gate ? M * N * 4 : 0 } : {}), ...gemm?.needs },
    label: `matmul_${variant} ${M}x${N}x${K}${gemm ? ` (${gemm.paths})` : ''}`,
  });
}

/** C = act(op(A) . op(B) + bias) on the GPU; allocates C unless `out` is given. */
export async function matmul(rt: Runtime, a: Tensor, b: Tensor, options: MatmulOptions & { bias?: Tensor; gate?: Tensor; out?: Tensor } = {}): Promise<Tensor> {
  const operands = { a, b, ...(options.bias ? { bias: options.bias } : {}), ...(options.gate ? { gate: options.gate } : {}) };
  const { M, N } = checkMatmul(rt, { ...operands, c: options.out }, options).shape;
  const spec = options.out ?? { shape: [M, N], label: `${a.label}.${b.label}` };
  return (await runOneShot(rt, { c: spec }, ({ c }) => [() => prepareMatmul(rt, { ...operands, c }, options)])).c;
}
