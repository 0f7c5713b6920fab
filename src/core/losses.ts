// The losses a network can be compiled with: shared by the planner, the trainers and option checks.
// A leaf module: it imports nothing.

/** Every loss by name. */
export const LOSSES = ['cross_entropy', 'mse'] as const;

/** A loss by name: 'cross_entropy' (softmax cross-entropy over class indices) or 'mse'. */
export type LossKind = (typeof LOSSES)[number];
