// Checkpoints as .safetensors: parameters and BatchNorm state under the model's layer names (PyTorch's
// naming, so the file loads into an equivalent torch.nn.Sequential), plus optimizer state, if any, under
// 'optimizer.<slot>.<name>'.
import { CheckpointError } from '../core/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors.js';
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
 * Load a .safetensors file into the network. The whole file is decoded and every name and shape checked
 * before anything is written: a truncated or mismatched file throws CheckpointError and the live model is
 * untouched.
 */
export function loadSafetensors(net: Network, bytes: Uint8Array): void {
  const { tensors, metadata } = decodeSafetensors(bytes);
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
  if (hasState) net.loadOptimizerState(state, Number(metadata.optimizer_steps ?? 0), { dryRun: true });
  net.load(model);
  if (hasState) net.loadOptimizerState(state, Number(metadata.optimizer_steps ?? 0));
}
