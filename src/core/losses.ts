// The losses a network can be compiled with: shared by the planner, the trainers and option checks.
// A leaf module: it imports nothing.

/** Every loss by name. */
export const LOSSES = ['cross_entropy', 'mse'] as const;

export type LossKind = (typeof LOSSES)[number];
