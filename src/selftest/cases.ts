// The kernel-vs-reference cases: the same list runs in the Node test suites and on the demo's self-test page.
// Matmul, activations and element-wise kernels here; the training kernels' cases are in training-cases.ts.
import { OptionError } from '../core/errors.js';
import { Tensor } from '../gpu/tensor.js';
import { ACTIVATIONS, activation, activationGrad, derivativeFromOutput, type Activation } from '../kernels/activation.js';
import { add, scale } from '../kernels/elementwise.js';
import { FIXED_MATMUL_WORKGROUP, MATMUL_VARIANTS, fitWorkgroup, matmul, type MatmulVariant } from '../kernels/matmul.js';
import { TUNING_CANDIDATES } from '../kernels/autotune.js';
import * as ref from '../reference/index.js';
import { reductionTolerance } from '../util/allclose.js';
import { Rng } from '../util/rng.js';
import { ELEMENTWISE_TOL, compare, type KernelCase } from './harness.js';
import { batchNormGuardCases } from './norm-guard-cases.js';
import { batchNormCases, layerNormCases, lossCases, reduceCases, telemetryCases } from './training-cases.js';
import { activationStatsCases } from './activation-stats-cases.js';
import { optimizerCases } from './optim-cases.js';
import { CONV_SHAPES, convCases } from './conv-cases.js';
import { attentionCases, embeddingCases } from './attention-cases.js';
import { batchedMatmulCases, composedAttentionCases } from './attention-composed-cases.js';
import { poolCases } from './pool-cases.js';
import { softmaxCases } from './softmax-cases.js';

export type { CaseResult, KernelCase } from './harness.js';
export { batchNormCases, layerNormCases, lossCases, optimizerCases, reduceCases, telemetryCases };

/** [M, N, K] triples chosen to break matmul kernels: degenerate, tile-aligned, odd, K = 1, skinny, wide, larger. */
export const MATMUL_SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [64, 64, 64],
  [45, 65, 37],
  [33, 17, 1],
  [257, 3, 5],
  [3, 300, 7],
  [130, 190, 150],
  // K and N multiples of 4, the products the vec4 variant takes (it falls back to 'wide' on the others).
  [37, 64, 36],
  [129, 196, 148],
];

/** Activations whose backward pass can be fused into a matmul (derivative from the output). */
const GATE_ACTIVATIONS: readonly Activation[] = ['relu', 'leaky_relu', 'sigmoid', 'tanh'];

function matmulCase(
  variant: MatmulVariant,
  [M, N, K]: [number, number, number],
  transA: boolean,
  transB: boolean,
  act: Activation | null,
  seed: number,
  workgroup?: [number, number],
  gateAct?: Activation,
  gateFromInput = false,
): KernelCase {
  // The subgroup variant's workgroup is [the adapter's subgroup size, rows]: x is fitted when the case runs.
  const sgFitted = variant === 'subgroup' && workgroup;
  const wgTag = workgroup ? `wg ${sgFitted ? `SGx${workgroup[1]}` : workgroup.join('x')}` : '';
  const tags = [
    `${M}x${N}x${K}`,
    transA ? 'A^T' : '',
    transB ? 'B^T' : '',
    act ? `bias+${act}` : '',
    gateAct ? `gate ${gateAct}'${gateFromInput ? ' from input' : ''}` : '',
    wgTag,
  ];
  const shape = tags.filter(Boolean).join(' ');
  return {
    kernel: `matmul_${variant}`,
    shape,
    seed,
    run: (rt) => {
      const rng = new Rng(seed);
      const a = rng.floats(M * K);
      const b = rng.floats(K * N);
      const bias = act ? rng.floats(N) : undefined;
      const slope = 0.1;
      // A gate holds an activation's outputs: half of them exactly at the kink (0), where ReLU' is 0. From the
      // input: pre-activations, a quarter at 0.
      const pre = gateFromInput ? rng.floats(M * N, -3, 3).map((v, i) => (i % 4 === 0 ? 0 : v)) : undefined;
      const gate = pre
        ? pre
        : gateAct
          ? ref.activationForward(
              rng.floats(M * N, -3, 3).map((v, i) => (i % 4 === 0 ? 0 : v)),
              gateAct,
              slope,
            )
          : undefined;
      const want = ref.matmul(a, b, M, N, K, { transA, transB, bias, activation: act ?? undefined, slope, gate, gateActivation: gateAct, gateFromInput });
      const A = Tensor.from(rt, a, transA ? [K, M] : [M, K], 'A');
      const B = Tensor.from(rt, b, transB ? [N, K] : [K, N], 'B');
      const Bias = bias ? Tensor.from(rt, bias, [N], 'bias') : undefined;
      const Gate = gate ? Tensor.from(rt, gate, [M, N], 'gate') : undefined;
      const wg = workgroup && fitWorkgroup(rt, variant, workgroup);
      const opts = {
        transA,
        transB,
        variant,
        workgroup: wg,
        activation: act ?? 'identity',
        slope,
        bias: Bias,
        gate: Gate,
        gateActivation: gateAct,
        gateFrom: gateFromInput ? 'input' : 'output',
      } as const;
      const inputs = [A, B, ...(Bias ? [Bias] : []), ...(Gate ? [Gate] : [])];
      return compare(`matmul_${variant} ${shape}`, seed, inputs, () => matmul(rt, A, B, opts), want, reductionTolerance(K));
    },
  };
}

/** Non-square workgroup sizes the autotuner may pick, tried on odd shapes for every variant that takes one. */
export const MATMUL_TUNING_WORKGROUPS: readonly [number, number][] = [
  [16, 16],
  [16, 4],
  [4, 16],
  [32, 2],
];

/** The workgroups tried for a variant: the shared list and every one the tuner may pick for it. */
function tuningWorkgroups(variant: MatmulVariant): [number, number][] {
  // The subgroup variant's workgroup is [subgroup size, rows]: only its own candidates apply.
  const shared = variant === 'subgroup' ? [] : MATMUL_TUNING_WORKGROUPS;
  const all = [...shared, ...TUNING_CANDIDATES.filter((c) => c.variant === variant).map((c) => c.workgroup)];
  return [...new Map(all.map((wg) => [wg.join('x'), wg] as [string, [number, number]])).values()];
}

/**
 * Every matmul variant x shape x transpose pair, alternating plain and fused bias+activation epilogues, plus
 * the odd shapes with non-square workgroups for the variants whose workgroup can be tuned.
 */
export function matmulCases(variants: readonly MatmulVariant[] = MATMUL_VARIANTS): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 1000;
  for (const variant of variants) {
    MATMUL_SHAPES.forEach((shape, s) => {
      for (const [transA, transB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        seed++;
        const act = (seed + s) % 2 === 0 ? ACTIVATIONS[seed % ACTIVATIONS.length]! : null;
        cases.push(matmulCase(variant, shape, transA, transB, act, seed));
      }
    });
    // The gated epilogue (an activation's backward pass fused into the product), every gate activation.
    GATE_ACTIVATIONS.forEach((gateAct, g) => {
      seed++;
      const shape: [number, number, number] = g % 2 ? [45, 65, 37] : [130, 67, 20];
      cases.push(matmulCase(variant, shape, false, g === 1, null, seed, undefined, gateAct));
    });
    // GELU's backward, whose derivative its output does not determine: the gate holds the pre-activation.
    // (A seed apart from the running one, so the other cases' seeds, and so their epilogues, stay as they were.)
    cases.push(matmulCase(variant, [45, 65, 37], false, true, null, seed + 5000, undefined, 'gelu', true));
    if (FIXED_MATMUL_WORKGROUP[variant]) continue;
    for (const wg of tuningWorkgroups(variant)) {
      for (const shape of [
        [45, 65, 37],
        [130, 190, 150],
      ] as [number, number, number][]) {
        seed++;
        cases.push(matmulCase(variant, shape, seed % 2 === 0, seed % 3 === 0, seed % 2 ? 'relu' : null, seed, wg));
      }
    }
  }
  return cases;
}

/** Inputs for activations: random values plus exact zeros and saturating extremes (stability). */
function activationInput(rng: Rng, n: number): Float32Array {
  const x = rng.floats(n, -6, 6);
  const specials = [0, -0, 30, -30, 100, -100, 1e-7, -1e-7];
  for (let i = 0; i < Math.min(n, specials.length); i++) x[(i * 7919) % n] = specials[i]!;
  return x;
}

/** Every activation, forward and backward, at sizes 1, 1000 and 70001 (several workgroups and a ragged end). */
export function activationCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 2000;
  for (const act of ACTIVATIONS) {
    for (const n of [1, 1000, 70001]) {
      const s1 = ++seed;
      cases.push({
        kernel: 'activation',
        shape: `${act} n=${n}`,
        seed: s1,
        run: (rt) => {
          const x = activationInput(new Rng(s1), n);
          const X = Tensor.from(rt, x, [n], 'x');
          const want = ref.activationForward(x, act, 0.2);
          return compare(`activation ${act} n=${n}`, s1, [X], () => activation(rt, X, { activation: act, slope: 0.2 }), want, ELEMENTWISE_TOL);
        },
      });
      const s2 = ++seed;
      cases.push({
        kernel: 'activation_grad',
        shape: `${act} n=${n}`,
        seed: s2,
        run: (rt) => {
          const rng = new Rng(s2);
          const x = activationInput(rng, n);
          const dy = rng.floats(n);
          const X = Tensor.from(rt, x, [n], 'x');
          const DY = Tensor.from(rt, dy, [n], 'dy');
          const want = ref.activationBackward(x, dy, act, 0.2);
          return compare(`activation_grad ${act} n=${n}`, s2, [X, DY], () => activationGrad(rt, X, DY, { activation: act, slope: 0.2 }), want, ELEMENTWISE_TOL);
        },
      });
    }
  }
  // The backward pass from the output, used where the planner fuses the activation into a matmul.
  for (const act of ACTIVATIONS.filter((a) => derivativeFromOutput(a, 0.2))) {
    for (const n of [1000, 70001]) {
      const s3 = ++seed;
      cases.push({
        kernel: 'activation_grad',
        shape: `${act} from output n=${n}`,
        seed: s3,
        run: (rt) => {
          const rng = new Rng(s3);
          const y = ref.activationForward(activationInput(rng, n), act, 0.2);
          const dy = rng.floats(n);
          const Y = Tensor.from(rt, y, [n], 'y');
          const DY = Tensor.from(rt, dy, [n], 'dy');
          const want = ref.activationBackwardFromOutput(y, dy, act, 0.2);
          return compare(
            `activation_grad ${act} from output n=${n}`,
            s3,
            [Y, DY],
            () => activationGrad(rt, Y, DY, { activation: act, slope: 0.2, fromOutput: true }),
            want,
            ELEMENTWISE_TOL,
          );
        },
      });
    }
  }
  return cases;
}

/** add and scale at sizes 1, 1000 and 65537. */
export function elementwiseCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  let seed = 3000;
  for (const n of [1, 1000, 65537]) {
    const s1 = ++seed;
    cases.push({
      kernel: 'add',
      shape: `n=${n}`,
      seed: s1,
      run: (rt) => {
        const rng = new Rng(s1);
        const a = rng.floats(n);
        const b = rng.floats(n);
        const A = Tensor.from(rt, a, [n], 'a');
        const B = Tensor.from(rt, b, [n], 'b');
        return compare(`add n=${n}`, s1, [A, B], () => add(rt, A, B), ref.add(a, b), ELEMENTWISE_TOL);
      },
    });
    const s2 = ++seed;
    cases.push({
      kernel: 'scale',
      shape: `n=${n} alpha=-2.5`,
      seed: s2,
      run: (rt) => {
        const a = new Rng(s2).floats(n);
        const A = Tensor.from(rt, a, [n], 'a');
        return compare(`scale n=${n}`, s2, [A], () => scale(rt, A, -2.5), ref.scale(a, -2.5), ELEMENTWISE_TOL);
      },
    });
  }
  return cases;
}

/**
 * The cases of `cases` whose shape is one of `shapes`: a mutation run picks the few cases that catch its bug. A shape
 * that names no case is an OptionError, so renaming a case cannot silently drop a guard.
 */
export function selectCases(cases: readonly KernelCase[], shapes: readonly string[]): KernelCase[] {
  const missing = shapes.filter((s) => !cases.some((c) => c.shape === s));
  if (missing.length) {
    const known = [...new Set(cases.map((c) => c.shape))];
    const list = `'${known.slice(0, 12).join("', '")}'${known.length > 12 ? ', ...' : ''}`;
    throw new OptionError(`selectCases: no case has shape '${missing.join("', '")}'; expected one of ${list}`);
  }
  return cases.filter((c) => shapes.includes(c.shape));
}

/** Every kernel case of the self-test. */
export function allKernelCases(): KernelCase[] {
  return [
    ...matmulCases(),
    ...activationCases(),
    ...elementwiseCases(),
    ...lossCases(),
    ...reduceCases(),
    ...layerNormCases(),
    ...batchNormCases(),
    ...batchNormGuardCases(),
    ...telemetryCases(),
    ...activationStatsCases(),
    ...optimizerCases(),
    ...poolCases(),
    ...convCases(),
    // The GPU-class kernels 'auto' picks off software adapters.
    ...convCases(CONV_SHAPES, 'gemm'),
    ...embeddingCases(),
    ...attentionCases(),
    ...batchedMatmulCases(),
    ...composedAttentionCases(),
    ...softmaxCases(),
  ];
}
