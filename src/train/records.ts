// Named tensors in and out of the flat arenas: reading an arena back by name, and turning a record to load
// into the writes it means, every tensor checked (type, shape, length, finiteness) before any is written.
import { CheckpointError } from '../core/errors.js';
import type { Runtime } from '../gpu/runtime.js';
import type { ArenaLayout } from '../nn/arena.js';
import { checkRecordObject, checkTensor } from './checks.js';

/** Named tensors, each a flat Float32Array with its shape. */
export type TensorRecord = Record<string, { shape: number[]; data: Float32Array }>;

/** One checked write: `data` into `buffer` at byte `offset`. */
export type ArenaWrite = [buffer: GPUBuffer, offset: number, data: Float32Array];

/** Every tensor of an arena, read back by name. */
export async function readArena(rt: Runtime, buffer: GPUBuffer, layout: ArenaLayout): Promise<TensorRecord> {
  const all = await rt.readF32(buffer, layout.length);
  const out: TensorRecord = {};
  for (const s of layout.segments) out[s.name] = { shape: [...s.shape], data: all.slice(s.offset, s.offset + s.length) };
  return out;
}

/**
 * The writes that put `record` into the arenas of `targets`, by segment name. Throws CheckpointError on a
 * missing tensor (unless `partial`), an unknown one (unless `partial`), or one that fails checkTensor.
 */
export function recordWrites(record: unknown, targets: [GPUBuffer, ArenaLayout][], partial: boolean, where: string): ArenaWrite[] {
  checkRecordObject(record, where);
  const writes: ArenaWrite[] = [];
  const known = new Set<string>();
  for (const [buffer, layout] of targets) {
    for (const seg of layout.segments) {
      known.add(seg.name);
      if (!(seg.name in record)) {
        if (partial) continue;
        throw new CheckpointError(`${where}: checkpoint has no tensor '${seg.name}' [${seg.shape.join(', ')}]`);
      }
      writes.push([buffer, seg.offset * 4, checkTensor(record[seg.name], seg, `${where}: tensor '${seg.name}'`)]);
    }
  }
  const extra = Object.keys(record).filter((k) => !known.has(k));
  if (extra.length && !partial) throw new CheckpointError(`${where}: checkpoint has tensors the model does not: ${extra.join(', ')}`);
  return writes;
}

/** The writes of optimizer state: every slot in `slots`, each a full record of the layout's tensors. */
export function stateWrites(record: unknown, slots: ReadonlyMap<string, GPUBuffer>, layout: ArenaLayout, optimizer: string): ArenaWrite[] {
  const where = 'loadOptimizerState';
  checkRecordObject(record, where);
  const writes: ArenaWrite[] = [];
  for (const [slot, buffer] of slots) {
    const r = record[slot];
    if (r === undefined) throw new CheckpointError(`${where}: checkpoint has no optimizer state '${slot}' for ${optimizer}`);
    checkRecordObject(r, `${where}: state '${slot}'`);
    for (const seg of layout.segments) {
      writes.push([buffer, seg.offset * 4, checkTensor(r[seg.name], seg, `${where}: optimizer state '${slot}.${seg.name}'`)]);
    }
  }
  return writes;
}

/** Submit checked writes. */
export function applyWrites(rt: Runtime, writes: readonly ArenaWrite[]): void {
  for (const [b, off, d] of writes) rt.device.queue.writeBuffer(b, off, d.buffer, d.byteOffset, d.byteLength);
}
