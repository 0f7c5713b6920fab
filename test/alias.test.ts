// Which copies the compiler drops (src/scheduler/alias.ts): a copy goes only where no op of the program could tell
// that the two names share memory.
import { describe, expect, it } from 'vitest';
import { planAliases, type AliasOp } from '../src/scheduler/alias.js';

const size = (sizes: Record<string, number>) => (k: string) => sizes[k];
const op = (reads: string[], writes: string[], copy?: [string, string]): AliasOp => ({
  reads,
  writes,
  ...(copy ? { copy: { from: copy[0], to: copy[1] } } : {}),
});
const all = size({ dy: 8, a: 8, b: 8, c: 8, small: 4 });

describe('planAliases', () => {
  it("drops a copy whose source is not written again while the copy is read, and names the source's memory", () => {
    const plan = planAliases([op([], ['dy']), op(['dy'], ['a'], ['dy', 'a']), op(['a'], ['c'])], all);
    expect([...plan.dropped]).toEqual([1]);
    expect(plan.canonical.get('a')).toBe('dy');
  });

  it('a residual add: both inputs share dy when every later write comes after the reads of the other names', () => {
    // a's gradient gets a further contribution (op 4) only after b's reader (op 3) is done.
    const ops = [op([], ['dy']), op(['dy'], ['a'], ['dy', 'a']), op(['dy'], ['b'], ['dy', 'b']), op(['b'], ['c']), op(['c', 'a'], ['a']), op(['a'], [])];
    const plan = planAliases(ops, all);
    expect([...plan.dropped].sort()).toEqual([1, 2]);
  });

  it('keeps the copy whose name is read after another name of its group is written', () => {
    // a is added to (op 3) before b is read (op 4): b sharing a's memory would read the sum.
    const ops = [op([], ['dy']), op(['dy'], ['a'], ['dy', 'a']), op(['dy'], ['b'], ['dy', 'b']), op(['c', 'a'], ['a']), op(['b'], [])];
    const plan = planAliases(ops, all);
    expect([...plan.dropped]).toEqual([1]);
    expect(plan.canonical.has('b')).toBe(false);
  });

  it('keeps a copy when an op would bind two names of one buffer and write one, or the source is written again', () => {
    const binding = planAliases([op([], ['dy']), op(['dy'], ['a'], ['dy', 'a']), op(['dy'], ['a'])], all);
    expect(binding.dropped.size).toBe(0);
    const rewritten = planAliases([op([], ['dy']), op(['dy'], ['a'], ['dy', 'a']), op([], ['dy']), op(['a'], [])], all);
    expect(rewritten.dropped.size).toBe(0);
  });

  it('keeps copies between names of different sizes, names it does not plan, or a target touched before the copy', () => {
    expect(planAliases([op(['dy'], ['small'], ['dy', 'small'])], all).dropped.size).toBe(0);
    expect(planAliases([op(['param'], ['a'], ['param', 'a'])], all).dropped.size).toBe(0);
    expect(planAliases([op([], ['a']), op(['dy'], ['a'], ['dy', 'a'])], all).dropped.size).toBe(0);
  });
});
