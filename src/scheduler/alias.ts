// Copies the compiler can drop: an op that only copies tensor `from` into tensor `to` (the first contribution to a
// gradient, e.g. a residual add's backward) is replaced by letting `to` share `from`'s memory, when no op of the
// program could tell the difference. Checked on the whole program, in op order, so the rule needs no knowledge of
// what the ops compute: within a group of names sharing memory, once two names share a value (the later of the
// times they joined), a write to one of them may not be followed by a read or write of another, and no op may bind
// two names of a group when it writes one (a writable binding may not alias another binding of its dispatch).

/** What alias resolution needs of an op. */
export interface AliasOp {
  reads: readonly string[];
  writes: readonly string[];
  /** This op writes `to` as an exact copy of `from` and nothing else. */
  copy?: { from: string; to: string };
}

/** The dropped copies (op indices) and each aliased name's canonical name. */
export interface AliasPlan {
  dropped: Set<number>;
  canonical: Map<string, string>;
}

/**
 * Decide which copies to drop, in op order, each kept only if the program stays indistinguishable. `floats` gives
 * the size of each name the memory planner owns (only those can share), undefined for any other.
 */
export function planAliases(ops: readonly AliasOp[], floats: (name: string) => number | undefined): AliasPlan {
  const dropped = new Set<number>();
  const canonical = new Map<string, string>();
  /** Op index at which a name joined its group (its root: -1). */
  const joined = new Map<string, number>();
  const root = (k: string) => canonical.get(k) ?? k;
  const members = (r: string) => [r, ...[...canonical].filter(([, v]) => v === r).map(([k]) => k)];
  for (const [c, op] of ops.entries()) {
    if (!op.copy) continue;
    const { from, to } = op.copy;
    const [nf, nt] = [floats(from), floats(to)];
    if (nf === undefined || nt === undefined || nf !== nt || from === to) continue;
    // `to` must start here: no earlier op touches it, and it is in no group yet.
    if (canonical.has(to) || [...canonical.values()].includes(to)) continue;
    if (ops.slice(0, c).some((o) => o.reads.includes(to) || o.writes.includes(to))) continue;
    const r = root(from);
    canonical.set(to, r);
    joined.set(to, c);
    dropped.add(c);
    if (conflicts(ops, dropped, new Set(members(r)), (k) => joined.get(k) ?? -1)) {
      canonical.delete(to);
      joined.delete(to);
      dropped.delete(c);
    }
  }
  return { dropped, canonical };
}

/** Whether an op of the program could tell that the names in `group` share memory. */
function conflicts(ops: readonly AliasOp[], dropped: Set<number>, group: Set<string>, joined: (k: string) => number): boolean {
  const live = [...ops.entries()].filter(([i]) => !dropped.has(i));
  for (const [n, [i, op]] of live.entries()) {
    const written = op.writes.filter((k) => group.has(k));
    if (written.length === 0) continue;
    const touched = new Set([...op.reads, ...op.writes].filter((k) => group.has(k)));
    if (touched.size > 1) return true;
    const k1 = written[0]!;
    for (const [, later] of live.slice(n + 1)) {
      for (const k2 of [...later.reads, ...later.writes]) {
        if (k2 !== k1 && group.has(k2) && i > Math.max(joined(k1), joined(k2))) return true;
      }
    }
  }
  return false;
}
