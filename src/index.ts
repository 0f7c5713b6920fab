// Descent's public API.
export { Runtime, type ShaderSource } from './gpu/runtime.js';
export { createRuntime, type RuntimeOptions } from './runtime.js';
export { describeAdapter, type DeviceOptions, type OptionalFeature } from './gpu/device.js';
export { Tensor, numel } from './gpu/tensor.js';
export { Dispatch, Kernel, type DispatchSpec, type Overrides } from './gpu/kernel.js';
export { ShaderInfo, type BindingInfo, type UniformLayout } from './gpu/shader.js';
export type { BufferRef, TypedData } from './gpu/buffers.js';
export * from './core/errors.js';
export { shaderNames, shaderSource } from './kernels/sources.js';
export {
  ACTIVATIONS,
  activation,
  activationGrad,
  prepareActivation,
  prepareActivationGrad,
  type Activation,
  type ActivationOptions,
} from './kernels/activation.js';
export { add, scale, prepareAdd, prepareScale } from './kernels/elementwise.js';
export {
  avgPool2d,
  avgPool2dBackward,
  globalAvgPool,
  globalAvgPoolBackward,
  maxPool2d,
  maxPool2dBackward,
  prepareAvgPool2d,
  prepareAvgPool2dBackward,
  prepareGlobalAvgPool,
  prepareGlobalAvgPoolBackward,
  prepareMaxPool2d,
  prepareMaxPool2dBackward,
  type AvgPool2dOptions,
  type Pool2dOptions,
} from './kernels/pool2d.js';
export {
  MATMUL_VARIANTS,
  matmul,
  matmulShape,
  pickMatmulVariant,
  prepareMatmul,
  autoMatmulChoice,
  defaultMatmulChoice,
  matmulShapeClass,
  matmulTuningSlot,
  matmulSubgroupSize,
  type MatmulChoice,
  type MatmulMode,
  type MatmulOptions,
  type MatmulShapeClass,
  type MatmulVariant,
} from './kernels/matmul.js';
export {
  tuneMatmul,
  pinMatmul,
  defaultTuningStore,
  tuningKey,
  tuningCandidates,
  TUNING_CANDIDATES,
  TUNING_MODES,
  TUNING_SHAPES,
  type MatmulTuning,
  type TuningMeasurement,
  type TuningStore,
  type TuningTimes,
} from './kernels/autotune.js';
export { decideTuning, TUNING_MARGIN, type TuningDecision } from './kernels/autotune-rule.js';
export { tunedMatmulChoices, type MatmulChoices } from './kernels/tuning.js';
export {
  conv2d,
  conv2dBackward,
  conv2dBackwardScratch,
  conv2dShape,
  conv2dWeightSplits,
  prepareConv2d,
  prepareConv2dBackward,
  type Conv2dBackwardOptions,
  type Conv2dBackwardTensors,
  type Conv2dOptions,
  type Conv2dTensors,
} from './kernels/conv2d.js';
export { convGeometry, type Conv2dGeometry, type ConvGeometryOptions, type Padding } from './reference/conv-geometry.js';
export {
  MAX_HEAD_DIM,
  attentionBackward,
  attentionForward,
  prepareAttentionBackward,
  prepareAttentionForward,
  type AttentionBackwardTensors,
  type AttentionForwardTensors,
  type AttentionGradients,
  type AttentionInputs,
  type AttentionOptions,
  type AttentionShape,
  type StridedTensor,
} from './kernels/attention.js';
export {
  SOFTMAX_ROW_MAX_COLUMNS,
  SOFTMAX_SOFTWARE_ROW_MAX_COLUMNS,
  prepareSoftmaxBackward,
  prepareSoftmaxForward,
  softmax,
  softmaxBackward,
  type SoftmaxBackwardTensors,
  type SoftmaxLayout,
  type SoftmaxOptions,
  type SoftmaxTensors,
} from './kernels/softmax.js';
export type { SoftmaxMask } from './reference/softmax.js';
export { MAX_DECODE_CONTEXT, prepareAttentionDecode, prepareDecodeEmbedding } from './kernels/decode.js';
export { prepareSample, sampleTokens, type SamplingOptions } from './kernels/sample.js';
export {
  embeddingBackward,
  embeddingBackwardIndex,
  embeddingForward,
  prepareEmbeddingBackward,
  prepareEmbeddingForward,
  preparePositionalEmbeddingBackward,
  type EmbeddingBackwardTensors,
  type EmbeddingForwardTensors,
} from './kernels/embedding.js';
export {
  activationStats,
  decodeActivationStats,
  prepareActivationStats,
  setActivationStatsSlot,
  type ActivationStatsOptions,
  type ActivationStatsRecord,
  type ActivationStatsTensors,
} from './kernels/activation-stats.js';
/** The CPU reference of every kernel: plain loops with float64 accumulation, which the GPU results are checked against. */
export * as reference from './reference/index.js';
export { Rng } from './util/rng.js';
export { allclose, reductionTolerance, type Tolerance } from './util/allclose.js';
export { allKernelCases, type CaseResult, type KernelCase } from './selftest/cases.js';

// Models, training and data.
export { dense, activation as activationLayer, relu, leakyRelu, sigmoid, tanh, gelu, layerNorm, batchNorm, residual } from './nn/layers.js';
export type { Layer, Init } from './nn/layers.js';
// The kernel functions own the plain names (conv2d, maxPool2d, ...), so the layers carry a Layer suffix, as activationLayer.
export {
  conv2d as conv2dLayer,
  maxPool2d as maxPool2dLayer,
  avgPool2d as avgPool2dLayer,
  globalAvgPool as globalAvgPoolLayer,
  flatten,
} from './nn/image-layers.js';
export type { Conv2dLayer, Pool2dLayer, GlobalAvgPoolLayer, FlattenLayer, ImageLayer } from './nn/image-layers.js';
export type { NodeShape } from './nn/graph.js';
export { Model, sequential } from './nn/model.js';
export { Graph, buildGraph, type GraphNode, type ParamSpec } from './nn/graph.js';
export { ArenaLayout, type Segment } from './nn/arena.js';
export * from './optim/index.js';
export { Network, compile, type ActivationLayerStats, type CompileOptions, type StepMetrics, type TensorRecord } from './train/network.js';
export type { GenerateOptions } from './train/generate.js';
export { fit, evaluate, predict, type FitOptions, type FitResult, type EpochMetrics } from './train/fit.js';
export { saveSafetensors, loadSafetensors } from './train/checkpoint.js';
export { TrainingSnapshot, type SnapshotEvery, type FitPosition } from './train/snapshot.js';
export { DeviceLostError, restoreSnapshot, type DeviceLostInfo, type RecoveredInfo } from './train/recover.js';
export { TrainingSession, type SessionOptions } from './train/session.js';
export { optimizeOnSurface, optimizeOnSurfaceReference, finalDistance, SURFACE_NAMES, type SurfaceName, type SurfacePath } from './optim/surface.js';
export { surfaceValue, surfaceGradient } from './reference/surface.js';
export { ReferenceNetwork } from './train/reference-trainer.js';
export { SequenceReference, type SequenceReferenceStep } from './train/reference-sequence.js';
export type { TokenData } from './train/checks.js';
export { embedding, positionalEmbedding, attention, transformerBlock } from './nn/sequence-layers.js';
export type { EmbeddingLayer, PositionalEmbeddingLayer, AttentionLayer, TransformerBlockLayer, SequenceLayer } from './nn/sequence-layers.js';
export { gpt, lenet5 } from './nn/zoo.js';
export type { InputSpec } from './nn/graph.js';
export { StepPlan } from './scheduler/plan.js';
export { LOSSES, type LossKind } from './core/losses.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export { checkDataset, splitDataset, subset, standardize, type Dataset } from './data/dataset.js';
export { spiral, moons, circles, xor } from './data/synthetic.js';
export {
  charTokenizer,
  loadSonnets,
  formatSonnets,
  bigramBaseline,
  sequenceBatches,
  sequenceWindows,
  type CharTokenizer,
  type Sonnet,
  type TextCorpus,
  type SonnetsOptions,
  type BaselineResult,
  type BaselineOptions,
  type TextBatch,
  type SequenceBatchOptions,
  type SequenceSampler,
} from './data/text.js';
