// Learning-rate schedules: functions of the 1-based step. The rate is a uniform of the update, so changing
// it every step costs a uniform write, never a recompilation.
import { OptionError } from '../core/errors.js';

/** A learning rate for each step (1-based). */
export type Schedule = (step: number) => number;

const positive = (v: number, what: string) => {
  if (!(Number.isFinite(v) && v > 0)) throw new OptionError(`${what} must be a finite number > 0, got ${v}`);
};
const rate = (v: number, what: string) => {
  if (!(Number.isFinite(v) && v >= 0)) throw new OptionError(`${what} must be a finite number >= 0, got ${v}`);
};

/** The same rate every step. */
export function constant(lr: number): Schedule {
  rate(lr, 'constant: lr');
  return () => lr;
}

/** Multiply by `gamma` every `every` steps (PyTorch's StepLR). */
export function stepDecay(o: { lr: number; every: number; gamma?: number }): Schedule {
  rate(o.lr, 'stepDecay: lr');
  positive(o.every, 'stepDecay: every');
  const gamma = o.gamma ?? 0.1;
  rate(gamma, 'stepDecay: gamma');
  return (step) => o.lr * gamma ** Math.floor((step - 1) / o.every);
}

/** lr gamma^(step - 1) (PyTorch's ExponentialLR). */
export function exponential(o: { lr: number; gamma: number }): Schedule {
  rate(o.lr, 'exponential: lr');
  rate(o.gamma, 'exponential: gamma');
  return (step) => o.lr * o.gamma ** (step - 1);
}

/** Cosine annealing from lr to minLr over `steps` steps, then minLr (PyTorch's CosineAnnealingLR, one cycle). */
export function cosine(o: { lr: number; steps: number; minLr?: number }): Schedule {
  rate(o.lr, 'cosine: lr');
  positive(o.steps, 'cosine: steps');
  const min = o.minLr ?? 0;
  rate(min, 'cosine: minLr');
  return (step) => {
    const t = Math.min(step - 1, o.steps) / o.steps;
    return min + 0.5 * (o.lr - min) * (1 + Math.cos(Math.PI * t));
  };
}

/** Ramp linearly from lr / warmup up to the wrapped schedule over the first `warmup` steps, then follow it. */
export function linearWarmup(schedule: Schedule, warmup: number): Schedule {
  positive(warmup, 'linearWarmup: warmup');
  return (step) => (step <= warmup ? (schedule(step) * step) / warmup : schedule(step));
}
