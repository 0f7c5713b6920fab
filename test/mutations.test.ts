// The suites must catch broken kernels: each mutation below plants a classic bug in one shader, and cases that pass
// on the real shader must then fail. Each mutation runs only the few small cases that catch it (`mustFail`), so the
// file stays cheap on a loaded machine; the full suites prove the real shaders pass them.
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError, createRuntime, shaderSource, type Runtime } from '../src/index.js';
import {
  activationCases,
  batchNormCases,
  elementwiseCases,
  layerNormCases,
  lossCases,
  matmulCases,
  optimizerCases,
  reduceCases,
  selectCases,
  telemetryCases,
  type KernelCase,
} from '../src/selftest/cases.js';
import { batchNormGuardCases } from '../src/selftest/norm-guard-cases.js';
import { activationStatsCases } from '../src/selftest/activation-stats-cases.js';
import { poolCases } from '../src/selftest/pool-cases.js';
import { CONV_SHAPES, convCases } from '../src/selftest/conv-cases.js';
import { attentionCases, embeddingCases } from '../src/selftest/attention-cases.js';
import { batchedMatmulCases, composedAttentionCases } from '../src/selftest/attention-composed-cases.js';
import { softmaxCases } from '../src/selftest/softmax-cases.js';

interface Mutation {
  shader: string;
  what: string;
  edits: [from: string, to: string][];
  cases: () => KernelCase[];
  /** The case kernels that must catch it (default: the shader's name, or 'add' for elementwise). */
  kernels?: string[];
  /**
   * Case shapes that must each fail: the smallest set that catches the bug, and the only cases run. Without it the
   * family's cases run until the first one fails.
   */
  mustFail?: string[];
}

const MUTATIONS: Mutation[] = [
  {
    shader: 'matmul_naive',
    what: 'K loop stops one short',
    edits: [['k < params.K;', 'k + 1u < params.K;']],
    cases: () => matmulCases(['naive']),
    mustFail: ['1x1x1'],
  },
  {
    shader: 'matmul_interleaved',
    what: 'rows interleaved with the wrong stride',
    edits: [
      ['rows[t] = min(i0 + t * WG_Y, last_i);', 'rows[t] = min(i0 + t * WG_X, last_i);'],
      ['let i = i0 + r * WG_Y;', 'let i = i0 + r * WG_X;'],
    ],
    cases: () => matmulCases(['interleaved']),
    mustFail: ['45x65x37 bias+relu wg 16x4'],
  },
  {
    shader: 'matmul_blocked',
    what: "a gate from the activation's input read as its output",
    edits: [['v * act_derivative(GATE_ACT, gate[i * params.N + j]', 'v * act_derivative_from_output(GATE_ACT, gate[i * params.N + j]']],
    cases: () => matmulCases(['blocked']),
    mustFail: ["45x65x37 B^T gate gelu' from input"],
  },
  {
    shader: 'matmul_gemm',
    what: 'the next panel staged into the buffer being multiplied',
    edits: [
      ['stage(&tile_a, PANEL - cur, li', 'stage(&tile_a, cur, li'],
      ['stage(&tile_b, PANEL - cur, li', 'stage(&tile_b, cur, li'],
    ],
    cases: () => matmulCases(['gemm']),
  },
  {
    shader: 'matmul_gemm',
    what: 'vec4 loads ignore K (a last panel that ends inside the K extent reads past it)',
    edits: [
      ['if (i < params.M && k < params.K) {\n      v = a4', 'if (i < params.M) {\n      v = a4'],
      ['if (j < params.N && k < params.K) {\n      v = b4', 'if (j < params.N) {\n      v = b4'],
    ],
    cases: () => matmulCases(['gemm']),
  },
  {
    shader: 'matmul_wide',
    what: 'upper half of the columns stored from the lower accumulators',
    edits: [['store_c(i, j, hi[s - 4u]);', 'store_c(i, j, lo[s - 4u]);']],
    cases: () => matmulCases(['wide']),
    mustFail: ['3x300x7 bias+relu'],
  },
  {
    shader: 'matmul_wide',
    what: 'last row of the block never accumulated',
    edits: [['for (var r = 0u; r < ROWS; r++) {\n      let av', 'for (var r = 0u; r + 1u < ROWS; r++) {\n      let av']],
    cases: () => matmulCases(['wide', 'block8', 'block16']),
    kernels: ['matmul_wide', 'matmul_block8', 'matmul_block16'],
    mustFail: ['257x3x5'],
  },
  {
    shader: 'matmul_blocked',
    what: "gate's derivative read from the wrong row",
    edits: [['gate[i * params.N + j], params.slope)', 'gate[j], params.slope)']],
    cases: () => matmulCases(['blocked']),
    mustFail: ["130x67x20 gate relu'"],
  },
  {
    shader: 'matmul_subgroup',
    what: 'row value taken from the wrong lane of the subgroup',
    edits: [['subgroupShuffle(a_mine[r / SG], r % SG)', 'subgroupShuffle(a_mine[r / SG], (r + 1u) % SG)']],
    cases: () => matmulCases(['subgroup']),
    mustFail: ['257x3x5'],
  },
  {
    shader: 'matmul_subgroup',
    what: 'second share of the rows loaded from the first',
    edits: [['mine[q] = min(i0 + lid.x + q * SG, last_i);', 'mine[q] = min(i0 + lid.x, last_i);']],
    cases: () => matmulCases(['subgroup']),
    mustFail: ['257x3x5'],
  },
  {
    shader: 'matmul_vec4',
    what: 'second k of each quad multiplies the wrong row of B',
    edits: [['av.y * bq[1]', 'av.y * bq[0]']],
    cases: () => matmulCases(['vec4']),
    mustFail: ['37x64x36 bias+sigmoid'],
  },
  {
    shader: 'matmul_vec4',
    what: 'transposed B read along the wrong axis',
    edits: [['bq[s] = b[(j0 + s) * K4 + q];', 'bq[s] = b[(j0 + s) + q * K4];']],
    cases: () => matmulCases(['vec4']),
    mustFail: ['37x64x36 B^T bias+gelu'],
  },
  {
    shader: 'matmul_blocked',
    what: 'K loop stops one short',
    edits: [['k < params.K;', 'k + 1u < params.K;']],
    cases: () => matmulCases(['blocked']),
    mustFail: ['1x1x1'],
  },
  {
    shader: 'matmul_tiled',
    what: 'inner tile loop off by one',
    edits: [['kk < BK;', 'kk < BK - 1u;']],
    cases: () => matmulCases(['tiled']),
    mustFail: ['37x64x36 A^T'],
  },
  {
    shader: 'matmul_tiled',
    what: 'ragged K tile read past K',
    edits: [
      ['k0 + ak < params.K', 'true'],
      ['k0 + bk < params.K', 'true'],
    ],
    cases: () => matmulCases(['tiled']),
    mustFail: ['257x3x5 B^T'],
  },
  {
    shader: 'matmul_blocked',
    what: 'bias added twice',
    edits: [['v += bias[j];', 'v += 2.0 * bias[j];']],
    cases: () => matmulCases(['blocked']),
    mustFail: ['1x1x1 A^T bias+identity'],
  },
  {
    shader: 'activation_grad',
    what: 'sigmoid derivative sign',
    edits: [['return s * (1.0 - s);', 'return s * (1.0 + s);']],
    cases: activationCases,
    mustFail: ['sigmoid n=1000'],
  },
  {
    shader: 'activation',
    what: 'leaky slope ignored',
    edits: [['select(slope * x, x, x > 0.0)', 'select(0.01 * x, x, x > 0.0)']],
    cases: activationCases,
    mustFail: ['leaky_relu n=1000'],
  },
  {
    shader: 'elementwise',
    what: 'last element skipped',
    edits: [['i < min(i0 + 4u, params.n);', 'i + 1u < min(i0 + 4u, params.n);']],
    cases: elementwiseCases,
    mustFail: ['n=1'],
  },
  {
    shader: 'elementwise',
    what: 'accumulate overwrites',
    edits: [['out[i] += a[i];', 'out[i] = a[i];']],
    cases: reduceCases,
    kernels: ['accumulate'],
    mustFail: ['n=1'],
  },
  {
    shader: 'softmax_cross_entropy',
    what: 'row max not subtracted (a workgroup per row)',
    edits: [['let shift = am.v;', 'let shift = 0.0;']],
    cases: lossCases,
    mustFail: ['16x70 logits +-1e4'],
  },
  {
    shader: 'softmax_cross_entropy',
    what: 'row max not subtracted from the gradient (a row per invocation)',
    edits: [['let p = exp(logits[base + c] - best) * inv;', 'let p = exp(logits[base + c]) * inv;']],
    cases: lossCases,
    mustFail: ['16x37 logits +-1e4'],
  },
  {
    shader: 'softmax_cross_entropy',
    what: 'argmax ties go to the highest index when parts of a row merge (a workgroup per row)',
    edits: [['(b.v == a.v && b.i < a.i)', '(b.v == a.v && b.i > a.i)']],
    cases: lossCases,
    mustFail: ['64x100 ties'],
  },
  {
    shader: 'softmax_cross_entropy',
    what: 'argmax ties go to the highest index within a pass over columns',
    edits: [['if (a.i == NONE || z > a.v) {', 'if (a.i == NONE || z >= a.v) {']],
    cases: lossCases,
    mustFail: ['64x10 ties'],
  },
  {
    shader: 'softmax_cross_entropy',
    what: 'last class skipped (a row per invocation)',
    edits: [['for (var c = 0u; c < C; c++) {\n    let p', 'for (var c = 0u; c + 1u < C; c++) {\n    let p']],
    cases: lossCases,
    mustFail: ['130x10'],
  },
  {
    shader: 'softmax_cross_entropy',
    what: 'running sum not rescaled when the running max grows',
    edits: [['let s = select(0.0, a.s * exp(a.v - z), a.i != NONE);', 'let s = select(0.0, a.s, a.i != NONE);']],
    cases: lossCases,
    mustFail: ['16x37 logits +-1e4', '16x70 logits +-1e4'],
  },
  {
    shader: 'mse',
    what: 'gradient not divided by D',
    edits: [['params.grad_scale * 2.0 / f32(D)', 'params.grad_scale * 2.0']],
    cases: lossCases,
    mustFail: ['37x13'],
  },
  {
    shader: 'reduce',
    what: 'last row dropped',
    edits: [['i < params.B; i += WG_Y', 'i + 1u < params.B; i += WG_Y']],
    cases: reduceCases,
    kernels: ['sum_rows'],
    mustFail: ['37x13'],
  },
  {
    shader: 'layernorm',
    what: 'variance divided by D - 1',
    edits: [['(q, 0.0, 0.0, 0.0)).x / f32(D);', '(q, 0.0, 0.0, 0.0)).x / f32(D - 1u);']],
    cases: layerNormCases,
    mustFail: ['37x13 workgroup'],
  },
  {
    shader: 'layernorm',
    what: 'one-pass variance E[x^2] - E[x]^2',
    edits: [
      ['let d = x[base + j] - mu;\n    q += d * d;', 'let d = x[base + j];\n    q += d * d;'],
      ['(q, 0.0, 0.0, 0.0)).x / f32(D);', '(q, 0.0, 0.0, 0.0)).x / f32(D) - mu * mu;'],
    ],
    cases: layerNormCases,
    mustFail: ['16x64 mean 1000 workgroup', '16x64 mean 1000 invocation'],
  },
  {
    shader: 'layernorm',
    what: 'backward drops the xhat term',
    edits: [['r * (g - t.x - xh * t.y)', 'r * (g - t.x)']],
    cases: layerNormCases,
    kernels: ['layernorm_backward'],
    mustFail: ['37x13 workgroup'],
  },
  {
    shader: 'layernorm',
    what: 'accumulate overwrites the first contribution',
    edits: [['dx[i] += v;', 'dx[i] = v;']],
    cases: layerNormCases,
    kernels: ['layernorm_backward_accumulate'],
    mustFail: ['37x13 workgroup', '37x13 invocation'],
  },
  {
    shader: 'layernorm',
    what: 'a row per invocation: variance divided by D - 1',
    edits: [['inverseSqrt(q / f32(D) + params.eps)', 'inverseSqrt(q / f32(D - 1u) + params.eps)']],
    cases: layerNormCases,
    mustFail: ['37x13 invocation'],
  },
  {
    shader: 'layernorm',
    what: 'a row per invocation: the row ignores its workgroup',
    edits: [['let row = row_of(wid, nwg) * WG + lid.x;', 'let row = lid.x;']],
    cases: layerNormCases,
    kernels: ['layernorm', 'layernorm_backward'],
    mustFail: ['300x7 invocation'],
  },
  {
    shader: 'layernorm',
    what: 'a row per invocation: backward drops the xhat term',
    edits: [['r * (g - tg - xh * tgx)', 'r * (g - tg)']],
    cases: layerNormCases,
    kernels: ['layernorm_backward'],
    mustFail: ['37x13 invocation'],
  },
  {
    shader: 'batchnorm',
    what: 'backward drops the mean term',
    edits: [['dy[i * D + j] - t.x * inv_b - xh * t.y * inv_b', 'dy[i * D + j] - xh * t.y * inv_b']],
    cases: batchNormCases,
    kernels: ['batchnorm_backward'],
    mustFail: ['37x13'],
  },
  {
    shader: 'batchnorm',
    what: 'running variance from the biased variance',
    edits: [['let unbiased = select(', 'let unbiased = variance; let unused = select(']],
    cases: batchNormCases,
    kernels: ['batchnorm_train'],
    mustFail: ['37x13'],
  },
  {
    shader: 'batchnorm_commit',
    what: 'halt flag tested against the wrong value',
    edits: [['control[0] != 0u', 'control[0] > 1u']],
    cases: batchNormGuardCases,
    kernels: ['batchnorm_commit'],
    mustFail: ['37x13 halted'],
  },
  {
    shader: 'batchnorm_commit',
    what: 'running variance folded from the batch mean',
    edits: [['m * batch_stats[params.D + j]', 'm * batch_stats[j]']],
    cases: batchNormGuardCases,
    kernels: ['batchnorm_commit'],
    mustFail: ['37x13'],
  },
  {
    shader: 'telemetry',
    what: 'NaN and Inf summed into the norms',
    edits: [['return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;', 'return true;']],
    cases: telemetryCases,
    mustFail: ['S=4 NaN and Inf gradients', 'S=2 NaN loss, no accuracy'],
  },
  {
    shader: 'telemetry',
    what: 'segment loop skips its last element',
    edits: [['k < len;', 'k + 1u < len;']],
    cases: telemetryCases,
    mustFail: ['S=5 slot 2/3, empty + long segments'],
  },
  {
    shader: 'activation_stats',
    what: 'a unit with a zero pre-activation counted as alive',
    edits: [['alive = alive || v > 0.0;', 'alive = alive || v >= 0.0;']],
    cases: activationStatsCases,
    mustFail: ['3x15 relu bin edges'],
  },
  {
    shader: 'activation_stats',
    what: 'non-finite values summed into the mean',
    edits: [['return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;', 'return true;']],
    cases: activationStatsCases,
    mustFail: ['12x70 relu NaN and Inf'],
  },
  {
    shader: 'optim/adam',
    what: 'second-moment correction divides the root',
    edits: [['sqrt(v) * hp.root_scale', 'sqrt(v) / hp.root_scale']],
    cases: optimizerCases,
    mustFail: ['adam, 10 steps'],
  },
  {
    shader: 'optim/adam',
    what: "first moment mixed with beta2's complement",
    edits: [['hp.one_minus_beta1 * g', 'hp.one_minus_beta2 * g']],
    cases: optimizerCases,
    mustFail: ['adam, TensorFlow epsilon, 10 steps'],
  },
  {
    shader: 'optim/momentum',
    what: 'first step dampened like the others',
    edits: [['if (hp.step > 1u) {', 'if (hp.step > 0u) {']],
    cases: optimizerCases,
    mustFail: ['momentum with dampening, 10 steps'],
  },
  {
    shader: 'optim/rmsprop',
    what: 'centred variance adds the mean square',
    edits: [['v = sq - ga * ga;', 'v = sq + ga * ga;']],
    cases: optimizerCases,
    mustFail: ['rmsprop centred with momentum, 10 steps'],
  },
  {
    shader: 'optim/adagrad',
    what: 'eps outside the root when asked inside',
    edits: [['denom = sqrt(s + hp.eps);', 'denom = sqrt(s) + hp.eps;']],
    cases: optimizerCases,
    mustFail: ['adagrad, eps inside the root, 10 steps'],
  },
  {
    shader: 'optim/adamax',
    what: 'eps inside the maximum when asked after it',
    edits: [['max(hp.beta2 * exp_inf[i], abs(g));', 'max(hp.beta2 * exp_inf[i], abs(g) + hp.eps);']],
    cases: optimizerCases,
    mustFail: ['adamax, TensorFlow epsilon, 10 steps'],
  },
  {
    shader: 'optim/sgd',
    what: 'clipping ignored',
    edits: [['return min(1.0, hp.max_norm / (metrics[hp.norm_index] + 1e-6));', 'return 1.0;']],
    cases: optimizerCases,
    mustFail: ['sgd, L2 decay, clipping, 10 steps'],
  },
  {
    shader: 'optim/adam',
    what: 'decoupled decay without the learning rate',
    edits: [['lr_of(i) * chunk_opts[(4u * i) / CHUNK].y * t', 'chunk_opts[(4u * i) / CHUNK].y * t']],
    cases: optimizerCases,
    mustFail: ['adamw, 10 steps'],
  },
  {
    shader: 'optim/lion',
    what: 'sign of the gradient instead of the interpolation',
    edits: [['step_lr_of(i) * sign(c)', 'step_lr_of(i) * sign(g)']],
    cases: optimizerCases,
  },
  {
    shader: 'pool2d',
    what: 'max ties go to the last maximal element',
    edits: [['return v > best || (is_nan(v) && !is_nan(best));', 'return v >= best || (is_nan(v) && !is_nan(best));']],
    cases: poolCases,
    mustFail: ['max k3 s2 same 7x7 N2 C3 ties', 'max k2 6x6 N2 C3 ties'],
  },
  {
    shader: 'pool2d',
    what: 'a NaN never wins its window (strict > alone)',
    edits: [['return v > best || (is_nan(v) && !is_nan(best));', 'return v > best;']],
    cases: poolCases,
    mustFail: ['max k2 4x6 N2 C3 nan', 'max k2 pad1 5x5 N1 C2 nan', 'max k3 s2 pad1 7x7 N1 C3 nan'],
  },
  {
    shader: 'pool2d',
    what: '2x2 tiling: windows start on row oh instead of 2 oh',
    edits: [['return 2u * (q * params.W + p - q * params.OW) * params.C;', 'return (q * params.W + 2u * (p - q * params.OW)) * params.C;']],
    cases: poolCases,
    mustFail: ['max k2 4x6 N2 C3 nan'],
  },
  {
    shader: 'pool2d',
    what: "2x2 tiling backward: the lower-left position takes the lower-right one's gradient",
    edits: [['dx[j + row] = gated(v.z, select(0.0, g, k == 2u));', 'dx[j + row] = gated(v.z, select(0.0, g, k == 3u));']],
    cases: poolCases,
    mustFail: ['max k2 6x6 N2 C3 ties', 'max backward through relu k2 8x4 N3 C5'],
  },
  {
    shader: 'pool2d',
    what: 'the gate ignored: dx is the pooling gradient, not through the activation',
    edits: [['return v * act_derivative_from_output(GATE_ACT, xv, params.slope);', 'return v;']],
    cases: poolCases,
    mustFail: ['max backward through relu k2 8x4 N3 C5', 'max backward through relu k3 s2 pad1 9x9 N2 C5', 'max backward through relu k2 valid 5x7 N2 C3'],
  },
  {
    shader: 'pool2d',
    what: "the gate's Leaky ReLU slope fixed at the default",
    edits: [['act_derivative_from_output(GATE_ACT, xv, params.slope)', 'act_derivative_from_output(GATE_ACT, xv, 0.01)']],
    cases: poolCases,
    mustFail: ['max backward through leaky_relu k2x3 s3x4 pad[1,0,2,1] 9x11 N1 C4'],
  },
  {
    shader: 'pool2d',
    what: 'channel chunks start at the chunk number, not at chunk * cpt',
    edits: [['let c0 = wid.y * params.cpt;', 'let c0 = wid.y;']],
    cases: poolCases,
    mustFail: ['max k3 s2 same 33x31 N4 C19', 'max backward through sigmoid k3 s2 same 33x31 N4 C19'],
  },
  {
    shader: 'pool2d',
    what: 'windows start at the unpadded origin',
    edits: [['i32(oh * params.stride_h) - i32(params.pad_top)', 'i32(oh * params.stride_h)']],
    cases: poolCases,
    mustFail: ['max k3 s2 same 7x5 N1 C2'],
  },
  {
    shader: 'pool2d',
    what: 'countIncludePad ignored',
    edits: [['if (params.count_include_pad != 0u) {', 'if (false) {']],
    cases: poolCases,
    mustFail: ['avg k2 same 1x1 N1 C2 include pad'],
  },
  {
    shader: 'pool2d',
    what: 'backward misses the last window covering a pixel',
    edits: [['min(p / stride + 1u, out)', 'min(p / stride, out)']],
    cases: poolCases,
    mustFail: ['avg k2 valid 5x7 N2 C3'],
  },
  {
    shader: 'pool2d',
    what: 'image rows and columns swapped',
    edits: [['((n * params.H + h) * params.W + w) * params.C + c', '((n * params.H + w) * params.W + h) * params.C + c']],
    cases: poolCases,
    mustFail: ['global 5x7 N2 C3'],
  },
  {
    shader: 'pool2d',
    what: 'non-overlapping windows: the last cell stops at its window, leaving uncovered rows stale',
    edits: [['select(min((o + 1u) * stride - pad, size), size, o + 1u == out)', 'min((o + 1u) * stride - pad, size)']],
    cases: poolCases,
    mustFail: ['max k2 valid 5x7 N2 C3'],
  },
  {
    shader: 'pool2d',
    what: 'non-overlapping windows: the first cell starts at the padded window, leaving row 0 stale',
    edits: [['select(o * stride - pad, 0u, o == 0u)', 'o * stride - pad']],
    cases: poolCases,
    mustFail: ['max k2 pad1 7x6 N2 C3'],
  },
  {
    shader: 'pool2d',
    what: 'non-overlapping windows: dy written to every position of the cell',
    edits: [['dx[j] = gated(x[j], select(0.0, g, j == best));', 'dx[j] = gated(x[j], g);']],
    cases: poolCases,
    mustFail: ['max k2 valid 5x7 N2 C3'],
  },
  {
    shader: 'conv2d_window',
    what: 'strip pixels read the segment as if the stride were 1',
    edits: [['let a = seg[r * SW + kx];', 'let a = seg[r + kx];']],
    cases: () => convCases(CONV_SHAPES, 'window'),
    mustFail: ['stride2 same odd 1x9x7x2 k3x3 oc4'],
  },
  {
    shader: 'conv2d_window',
    what: 'weights shuffled from the neighbouring lane',
    edits: [['subgroupShuffle(mine[t / SG], t % SG)', 'subgroupShuffle(mine[t / SG], (t + 1u) % SG)']],
    cases: () => convCases(CONV_SHAPES, 'window'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_window',
    what: 'segment starts at the unpadded column',
    edits: [['let ix0 = i32(ox0 * SW) - params.pad_left;', 'let ix0 = i32(ox0 * SW);']],
    cases: () => convCases(CONV_SHAPES, 'window'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d',
    what: 'padding offset one pixel off in the gather',
    edits: [['return i32(o * stride + k * dil) - i32(pad);', 'return i32(o * stride + k * dil) - i32(pad) + 1;']],
    cases: convCases,
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d',
    what: 'dilation ignored in the gather',
    edits: [['params.dil_h, params.pad_top)', '1u, params.pad_top)']],
    cases: convCases,
    mustFail: ['dilation2 2x9x8x3 k3x3 pad2 oc5'],
  },
  {
    shader: 'conv2d',
    what: 'channel loop stops one short',
    edits: [['c < params.C;', 'c + 1u < params.C;']],
    cases: convCases,
    mustFail: ['1x1 filter 2x5x6x7 oc9'],
  },
  {
    shader: 'conv2d',
    what: "every channel's bias read from channel 0",
    edits: [['v += bias[oc];', 'v += bias[0];']],
    cases: convCases,
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_subgroup',
    what: "weights taken from the neighbouring lane's share",
    edits: [['subgroupShuffle(mine[s / SG], s % SG)', 'subgroupShuffle(mine[s / SG], (s + 1u) % SG)']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_subgroup',
    what: "a lane's rows taken as consecutive pixels instead of SG apart",
    edits: [['min(m0 + r * SG, M - 1u)', 'min(m0 + r, M - 1u)']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_subgroup',
    what: 'second share of the weights loaded from the first',
    edits: [['mine[q] = w[wo[q] + wi];', 'mine[q] = w[wo[0] + wi];']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['many blocks 3x13x15x5 k3x3 same oc21'],
  },
  {
    shader: 'conv2d_grad_weight_subgroup',
    what: 'every split writes the first partial sum',
    edits: [['let part = wid.z * params.OC * taps;', 'let part = 0u;']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['dw in 7 splits 2x5x5x3 k3x3 same oc4 chunk7'],
  },
  {
    shader: 'conv2d_grad_weight_subgroup',
    what: "a tap's dilation dropped from its offset",
    edits: [['ty[r] = i32(t.y * params.dil_h);', 'ty[r] = i32(t.y);']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['dilation2 2x9x8x3 k3x3 pad2 oc5'],
  },
  {
    shader: 'conv2d_grad_weight_subgroup',
    what: "dy's second share read from the first column block",
    edits: [['cols[q] = share_col(j0, lid.x, q, params.OC);', 'cols[q] = share_col(0u, lid.x, q, params.OC);']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['many blocks 3x13x15x5 k3x3 same oc21'],
  },
  {
    shader: 'conv2d_grad_input_subgroup',
    what: 'outputs between strides credited (divisibility check dropped)',
    edits: [['u32(d) % stride != 0u || ', '']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['stride2 same odd 1x9x7x2 k3x3 oc4'],
  },
  {
    shader: 'conv2d_grad_input_subgroup',
    what: "a lane's rows taken as consecutive pixels instead of SG apart",
    edits: [['min(q0 + r * SG, M - 1u)', 'min(q0 + r, M - 1u)']],
    cases: () => convCases(CONV_SHAPES, 'subgroup'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_grad_input',
    what: 'stride used for dilation in dx',
    edits: [['SH != 0u), params.dil_h,', 'SH != 0u), params.stride_h,']],
    cases: convCases,
    mustFail: ['stride2 same odd 1x9x7x2 k3x3 oc4'],
  },
  {
    shader: 'conv2d_grad_input',
    what: 'outputs between strides credited (divisibility check dropped)',
    edits: [['u32(t) % stride != 0u || ', '']],
    cases: convCases,
    mustFail: ['stride2 same odd 1x9x7x2 k3x3 oc4'],
  },
  {
    shader: 'conv2d_grad_weight',
    what: 'every split writes the first partial sum',
    edits: [['let part = wid.z * params.OC * taps;', 'let part = 0u;']],
    cases: convCases,
    mustFail: ['dw in 7 splits 2x5x5x3 k3x3 same oc4 chunk7'],
  },
  {
    shader: 'conv2d_grad_weight',
    what: 'last output pixel of each split dropped',
    edits: [['p < p_end;', 'p + 1u < p_end;']],
    cases: convCases,
    mustFail: ['1x1 image 3x1x1x5 k1x1 oc6'],
  },
  {
    shader: 'conv2d_gemm',
    what: "next step's tile written into the buffer being multiplied",
    edits: [['gemm_stash(1u - buf, kk, lane, step);', 'gemm_stash(buf, kk, lane, step);']],
    cases: () => convCases(CONV_SHAPES, 'gemm'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_gemm',
    what: 'the K mod 8 taps of the partial last step dropped',
    edits: [['let steps = (range.y - range.x + BK - 1u) / BK;', 'let steps = (range.y - range.x) / BK;']],
    cases: () => convCases(CONV_SHAPES, 'gemm'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5', '1x1 filter 2x5x6x7 oc9'],
  },
  {
    shader: 'conv2d_gemm',
    what: 'im2col gather ignores the top padding',
    edits: [['in_coord(p.y, 0u, params.stride_h, 0u, params.pad_top)', 'in_coord(p.y, 0u, params.stride_h, 0u, 0u)']],
    cases: () => convCases(CONV_SHAPES, 'gemm'),
    mustFail: ['odd 2x7x5x3 k3x3 pad1 oc5'],
  },
  {
    shader: 'conv2d_gemm',
    what: "a register block's last row accumulated with its third row's A value",
    edits: [['acc[3] += a.w * b;', 'acc[3] += a.z * b;']],
    cases: () => convCases(CONV_SHAPES, 'gemm'),
    mustFail: ['many blocks 3x13x15x5 k3x3 same oc21'],
  },
  {
    shader: 'conv2d_gemm_grad_input',
    what: 'taps between strides credited (divisibility check dropped)',
    edits: [['u32(u) % stride != 0u || ', '']],
    cases: () => convCases(CONV_SHAPES, 'gemm'),
    mustFail: ['stride2 same odd 1x9x7x2 k3x3 oc4'],
  },
  {
    shader: 'conv2d_gemm_grad_weight',
    what: 'every split writes the first partial sum',
    edits: [['dw_part[split_index * params.OC * taps', 'dw_part[0u * params.OC * taps']],
    cases: () => convCases(CONV_SHAPES, 'gemm'),
    mustFail: ['dw in 7 splits 2x5x5x3 k3x3 same oc4 chunk7'],
  },
  {
    shader: 'attention',
    what: 'causal mask hides the diagonal (a row does not see its own key)',
    edits: [['min(t + 1u, params.T)', 'min(t, params.T)']],
    cases: () => attentionCases(),
    mustFail: ['B2 T7 H3 D3 causal'],
  },
  {
    shader: 'attention',
    what: 'accumulator not rescaled when the running max grows',
    edits: [['out4((b * T + t) * C + h * params.D, 4u * i) * corr[r]', 'out4((b * T + t) * C + h * params.D, 4u * i)']],
    cases: () => attentionCases(),
    // More keys than one block of 8: the rescale happens between blocks.
    mustFail: ['B1 T64 H4 D16 causal'],
  },
  {
    shader: 'attention_dq',
    what: 'Delta left out of dS',
    edits: [['(dp[e] - drow[r])', 'dp[e]']],
    cases: () => attentionCases(),
    kernels: ['attention_backward'],
    mustFail: ['B2 T7 H3 D3 causal'],
  },
  {
    shader: 'attention_dkv',
    what: "causal query loop starts one row after the tile's first key",
    edits: [['let first = select(0u, j0, params.causal != 0u);', 'let first = select(0u, j0 + 1u, params.causal != 0u);']],
    cases: () => attentionCases(),
    kernels: ['attention_backward'],
    mustFail: ['B2 T7 H3 D3 causal'],
  },
  {
    shader: 'bmm',
    what: "the inner batch index's offset left out of B (every head multiplies the first head's B)",
    edits: [['let b0 = params.b_off + u * params.b_bo + v * params.b_bi;', 'let b0 = params.b_off + u * params.b_bo;']],
    cases: () => [...batchedMatmulCases(), ...composedAttentionCases()],
    kernels: ['bmm', 'attention_composed'],
    mustFail: ['2x3 batches 17x9x5 plain', 'B1 T64 H4 D16 causal'],
  },
  {
    shader: 'bmm',
    what: 'alpha not applied',
    edits: [['c[c0 + i * params.c_si + j * params.c_sj] = params.alpha * x;', 'c[c0 + i * params.c_si + j * params.c_sj] = x;']],
    cases: () => batchedMatmulCases(),
    mustFail: ['1x4 heads 33x70x3 A^T B^T C^T alpha 0.5'],
  },
  {
    shader: 'bmm',
    what: "a row's shared A values taken from the neighbouring lane",
    edits: [['subgroupShuffle(a_mine[r / SG], r % SG)', 'subgroupShuffle(a_mine[r / SG], (r + 1u) % SG)']],
    cases: () => batchedMatmulCases(),
    mustFail: ['2x3 batches 17x9x5 plain'],
  },
  {
    shader: 'embedding',
    what: 'positional row taken by sequence instead of position',
    edits: [['(n % params.T)', '(n / params.T)']],
    cases: embeddingCases,
    mustFail: ['B2 T7 V5 C3'],
  },
  {
    shader: 'embedding_grad',
    what: "each token's last position dropped",
    edits: [['p < end;', 'p + 1u < end;']],
    cases: embeddingCases,
    mustFail: ['one repeated token B4 T16 V65 C8'],
  },
  {
    shader: 'softmax',
    what: 'no max shift: exp of the raw logits (overflows at a 1e4 offset)',
    edits: [
      ['let m = max(a.m, z);', 'let m = 0.0;'],
      ['let m = max(a.m, b.m);', 'let m = 0.0;'],
    ],
    cases: () => softmaxCases(),
    mustFail: ['37x13 offset 10000 invocation', '37x13 offset 10000 workgroup'],
  },
  {
    shader: 'softmax',
    what: 'causal mask off by one (a row sees the next key too)',
    edits: [['min(row % params.T + 1u, params.N)', 'min(row % params.T + 2u, params.N)']],
    cases: () => softmaxCases(),
    kernels: ['softmax', 'softmax_backward'],
    mustFail: ['39x13 causal T=13 scale 0.25 invocation', '39x13 causal T=13 scale 0.25 workgroup'],
  },
  {
    shader: 'softmax',
    what: 'backward without the row sum of dy * y',
    edits: [['(dyv - dot)', 'dyv']],
    cases: () => softmaxCases(),
    kernels: ['softmax_backward'],
    mustFail: ['37x13 scale 0.3 invocation', '5x300 workgroup'],
  },
];

const runtimes: Runtime[] = [];
afterAll(() => runtimes.forEach((rt) => rt.destroy()));

describe('planted bugs fail the kernel suites', () => {
  for (const m of MUTATIONS) {
    it(`${m.shader}: ${m.what}`, async () => {
      let code = shaderSource(m.shader);
      for (const [from, to] of m.edits) {
        expect(code.includes(from), `pattern '${from}' not in ${m.shader}`).toBe(true);
        code = code.split(from).join(to);
      }
      const rt = await createRuntime();
      runtimes.push(rt);
      rt.registerShader(m.shader, code);
      const kernels = m.kernels ?? [m.shader, m.shader.replace('elementwise', 'add')];
      const family = m.cases().filter((c) => kernels.includes(c.kernel));
      expect(family.length, `no case of ${kernels.join(', ')}`).toBeGreaterThan(0);
      if (m.mustFail) {
        const picked = selectCases(family, m.mustFail);
        for (const k of m.kernels ?? [])
          expect(
            picked.map((c) => c.kernel),
            `no picked case runs ${k}`,
          ).toContain(k);
        for (const c of picked) {
          const r = await c.run(rt);
          expect(r.pass, `case '${c.kernel} ${c.shape}' must catch '${m.what}': ${r.message}`).toBe(false);
        }
      } else {
        let caught = false;
        for (const c of family) {
          caught = !(await c.run(rt)).pass;
          if (caught) break;
        }
        expect(caught, `none of ${family.length} cases caught '${m.what}'`).toBe(true);
      }
    });
  }
});

describe('selectCases', () => {
  it('picks cases by shape, and names a shape that matches no case with the shapes it knows', () => {
    const cases = matmulCases(['naive']);
    expect(selectCases(cases, ['1x1x1', '64x64x64 A^T']).map((c) => c.shape)).toEqual(['1x1x1', '64x64x64 A^T']);
    expect(() => selectCases(cases, ['1x1x1', '2x2x2'])).toThrow(OptionError);
    expect(() => selectCases(cases, ['2x2x2'])).toThrow(/no case has shape '2x2x2'; expected one of '1x1x1', /);
  });
});
