// The CPU reference: plain loops, float64 accumulation, one file per shader family. The older families return
// Float32Array; the losses, norms, reductions and telemetry return Float64Array, unrounded, so that their
// central-difference checks can run on them directly.
export { matmul, matmulBackward, type RefMatmulOptions } from './matmul.js';
export {
  activate,
  activateDerivative,
  activateDerivativeFromOutput,
  activationForward,
  activationBackward,
  activationBackwardFromOutput,
  derivativeFromOutputExists,
} from './activation.js';
export { accumulate, add, scale } from './elementwise.js';
export { mse, softmaxCrossEntropy } from './loss.js';
export { softmaxBackward, softmaxForward, softmaxMask, softmaxVisible, type SoftmaxMask } from './softmax.js';
export { sumRows } from './reduce.js';
export { NORM_EPS, layerNormBackward, layerNormForward } from './layernorm.js';
export { BATCHNORM_MOMENTUM, batchNormBackward, batchNormBatchStats, batchNormCommit, batchNormEval, batchNormTrain } from './batchnorm.js';
export { metricsStride, telemetry, type GradSegment } from './telemetry.js';
export { ACTIVATION_STATS_STRIDE, HIST_BINS, HIST_MAX, HIST_MIN, activationStats, histogramBin, saturationThreshold } from './activation-stats.js';
export { convGeometry, type Conv2dGeometry, type ConvGeometryOptions, type Padding } from './conv-geometry.js';
export { conv2dBackward, conv2dForward, type RefConv2dOptions } from './conv2d.js';
export {
  avgPool2d,
  avgPool2dBackward,
  globalAvgPool,
  globalAvgPoolBackward,
  maxPool2d,
  maxPool2dBackward,
  poolGeometry,
  type AvgPool2dOptions,
  type Pool2dOptions,
} from './pool2d.js';
export { attentionBackward, attentionBackward64, attentionForward, attentionForward64, type AttentionShape, type Strided } from './attention.js';
export { embeddingBackward, embeddingBackwardIndex, embeddingForward } from './embedding.js';
export { argmax, pcgHash, sampleToken, samplingProbabilities, uniformDraw } from './sample.js';
