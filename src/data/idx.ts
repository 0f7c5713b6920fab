// IDX, the format of the original MNIST files (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
// (two zero bytes, a type code, the number of dimensions), one big-endian uint32 per dimension, then the
// items back to back. Only type 0x08 (unsigned bytes) is read: it is what MNIST's images and labels use.
import { DataError } from '../core/errors.js';

/** A parsed IDX file: its dimensions and its first `dims[0]` items of unsigned bytes, row-major. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** The IDX type code of unsigned bytes. */
export const IDX_UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Bytes before the items of an IDX file with `rank` dimensions. */
export const idxHeaderBytes = (rank: number): number => 4 + 4 * rank;

/**
 * Parse an IDX file of unsigned bytes. With `count`, `bytes` may be a prefix of the file holding at least the
 * header and the first `count` items (what a partial read fetched), and `dims[0]` becomes `count`; without it,
 * `bytes` must be the whole file, no byte more or less. `name` is used in errors. The data is a view, not a copy.
 */
export function parseIdx(bytes: Uint8Array, name: string, count?: number): IdxArray {
  const fail = (why: string) => new DataError(`${name}: not a valid IDX file: ${why}`);
  if (bytes.length < 4) throw fail(`${bytes.length} bytes, shorter than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw fail(`magic number should start with two zero bytes, got 0x${hex(bytes[0]!)} 0x${hex(bytes[1]!)}`);
  }
  const type = bytes[2]!;
  if (type !== IDX_UBYTE) {
    throw fail(`type 0x${hex(type)} (${TYPE_NAMES[type] ?? 'unknown'}) is not supported, expected 0x08 (ubyte)`);
  }
  const rank = bytes[3]!;
  if (rank === 0) throw fail('0 dimensions, expected at least 1');
  const header = idxHeaderBytes(rank);
  if (bytes.length < header) throw fail(`truncated header: ${rank} dimensions need ${header} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  let items = dims[0]!;
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0 || count > items) {
      throw new DataError(`${name}: count must be an integer in [0, ${items}] (the file's items), got ${count}`);
    }
    items = count;
  }
  const need = header + items * itemSize;
  const what = `${items} items of ${dims.slice(1).join('x') || '1'} bytes (dimensions ${dims.join('x')}) need ${need} bytes`;
  if (bytes.length < need) throw fail(`truncated: ${what}, got ${bytes.length}`);
  if (count === undefined && bytes.length > need) throw fail(`${bytes.length - need} trailing bytes: ${what}, got ${bytes.length}`);
  return { dims: [items, ...dims.slice(1)], data: bytes.subarray(header, need) };
}

const hex = (b: number) => b.toString(16).padStart(2, '0');
