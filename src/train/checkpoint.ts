// Checkpoints as .safetensors: parameters and BatchNorm state under the model's layer names (PyTorch's
// naming, so the file loads into an equivalent torch.nn.Sequential), plus optimizer state, if any, under
// 'optimizer.<slot>.<name>'.
import { CheckpointError } from '../core/errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from '../io/safetensors.js';
import type { Network, TensorRecord } from './network.js';

const OPTIMIZER_PREFIX = 'optimizer.';

/** The network's parameters, state and optimizer state as a .safetensors file. */
export async function saveSafetensors(net: Network): Promise<Uint8Array> {
  const tensors: TensorRecord = { ...(await net.parameters()), ...(await net.state()) };
  for (const [slot, record] of Object.entries(await net.optimizerState())) {
    for (const [name, t] of Object.entries(record)) tensors[`${OPTIMIZER_PREFIX}${slot}.${name}`] = t;
  }
  return encodeSafetensors(tensors, {
    format: 'pt',
    producer: 'descent',
    optimizer: net.optimizer.name,
    steps: String(net.steps),
    optimizer_steps: String(net.optimizerSteps),
  });
}

/**
 * Load a .safetensors file (a Uint8Array, Node Buffer or ArrayBuffer) into the network. The whole file is
 * decoded and every name, shape and value checked before anything is written: a truncated or mismatched file
 * throws CheckpointError and the live model is untouched. The step counters saved with it are restored, so
 * a schedule goes on where it was; the optimizer's only when the file was saved with the same optimizer.
 */
export function loadSafetensors(net: Network, bytes: SafetensorsInput): void {
  net.guard.checkIdle('loadSafetensors()');
  const { tensors, metadata } = decodeSafetensors(bytes);
  const steps = savedCount(metadata, 'steps');
  const optimizerSteps = savedCount(metadata, 'optimizer_steps');
  const model: TensorRecord = {};
  const optimizer: TensorRecord = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) optimizer[name] = t;
    else model[name] = t;
  }
  const slots = new Set(Object.keys(optimizer).map((k) => k.slice(OPTIMIZER_PREFIX.length).split('.')[0]!));
  for (const s of slots) {
    if (!net.optimizer.state.includes(s)) {
      throw new CheckpointError(`checkpoint has optimizer state '${s}', which ${net.optimizer.name} does not keep`);
    }
  }
  // Check everything before writing anything: parameters by a dry run, optimizer state by its own check.
  net.load(model, { dryRun: true });
  const state: Record<string, TensorRecord> = {};
  for (const [name, t] of Object.entries(optimizer)) {
    const rest = name.slice(OPTIMIZER_PREFIX.length);
    const dot = rest.indexOf('.');
    (state[rest.slice(0, dot)] ??= {})[rest.slice(dot + 1)] = t;
  }
  const hasState = slots.size > 0;
  if (hasState) net.loadOptimizerState(state, optimizerSteps ?? 0, { dryRun: true });
  const sameOptimizer = metadata.optimizer === net.optimizer.name;
  net.load(model);
  if (hasState) net.loadOptimizerState(state, optimizerSteps ?? 0);
  if (steps !== undefined) net.restoreSteps(steps, sameOptimizer && !hasState ? optimizerSteps : undefined);
}

/** A step count from the metadata: absent (a file from elsewhere) or a non-negative integer in decimal. */
function savedCount(metadata: Record<string, string>, key: string): number | undefined {
  const v = metadata[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw new CheckpointError(`checkpoint metadata '${key}' is ${JSON.stringify(v)}; expected a non-negative integer`);
  }
  return n;
}
