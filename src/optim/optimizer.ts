// What an optimizer is to the planner: a shader that updates the whole parameter arena in one dispatch,
// the state arenas it keeps (same layout as the parameters), and its CPU reference.
import { OptionError } from '../gpu/errors.js';
import type { UniformValues } from '../gpu/shader.js';

/** Per-step values every update sees: the learning rate for this step and the step number (1-based). */
export interface StepInfo {
  step: number;
  lr: number;
}

export interface OptimizerDef {
  /** e.g. 'sgd'. */
  name: string;
  /** Shader under shaders/, e.g. 'optim/sgd'. Bindings: hp, grad, theta, metrics, control, then one per state slot. */
  shader: string;
  /** Names of the state arenas, each bound under its own name (e.g. 'velocity'). */
  state: readonly string[];
  /** The base learning rate. */
  lr: number;
  /** Values of the shader's `hp` uniform, besides n and flag_index, for this step. */
  uniforms(info: StepInfo): UniformValues;
  /** The same update on the CPU, in place, for the reference trainer. */
  reference(theta: Float32Array, grad: Float32Array, state: Record<string, Float32Array>, info: StepInfo): void;
}

/** Check a learning rate: finite and non-negative. */
export function checkLearningRate(lr: number, optimizer: string): number {
  if (!Number.isFinite(lr) || lr < 0) {
    throw new OptionError(`${optimizer}: learning rate must be a finite number >= 0, got ${lr}`);
  }
  return lr;
}
