// Buffer lifetimes: transient tensors of a step (activations, their gradients, scratch) whose lifetimes do
// not overlap share one physical buffer. Lifetimes are inclusive ranges of dispatch indices, so a kernel's
// input and output never share (a writable binding may not alias another binding of the same dispatch).

export interface TransientRequest {
  /** Caller's key. */
  key: string;
  floats: number;
  /** First and last dispatch index that touch the tensor (inclusive). */
  first: number;
  last: number;
}

export interface MemoryPlan {
  /** Physical buffer sizes in floats. */
  slots: number[];
  /** key -> slot index. */
  assignment: Map<string, number>;
  /** Floats without sharing, for comparison. */
  unsharedFloats: number;
}

/**
 * Greedy interval assignment: requests in order of first use take the smallest free slot that fits (or
 * the largest free one, grown), and give it back after their last use.
 */
export function planMemory(requests: readonly TransientRequest[]): MemoryPlan {
  const sorted = [...requests].sort((a, b) => a.first - b.first || b.floats - a.floats);
  const slots: number[] = [];
  const busyUntil: number[] = [];
  const assignment = new Map<string, number>();
  for (const r of sorted) {
    if (r.last < r.first) throw new Error(`memory plan: '${r.key}' ends (${r.last}) before it starts (${r.first})`);
    const free = slots.map((_, i) => i).filter((i) => busyUntil[i]! < r.first);
    let pick = -1;
    for (const i of free) if (slots[i]! >= r.floats && (pick < 0 || slots[i]! < slots[pick]!)) pick = i;
    if (pick < 0 && free.length) pick = free.reduce((a, b) => (slots[b]! > slots[a]! ? b : a));
    if (pick < 0) {
      pick = slots.length;
      slots.push(0);
      busyUntil.push(-1);
    }
    slots[pick] = Math.max(slots[pick]!, r.floats);
    busyUntil[pick] = r.last;
    assignment.set(r.key, pick);
  }
  return { slots, assignment, unsharedFloats: requests.reduce((s, r) => s + r.floats, 0) };
}
