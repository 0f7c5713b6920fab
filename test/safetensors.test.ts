import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../src/core/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';

/** A float32 array with exactly these bit patterns, so NaN payloads are not at the mercy of JS numbers. */
function fromBits(bits: number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

/**
 * A safetensors file assembled by hand, independently of encodeSafetensors: the u64 length written byte by
 * byte, the header as literal text padded with spaces, then the data bytes as given.
 */
function file(header: string, data: number[] = [], pad = true): Uint8Array {
  const json = new TextEncoder().encode(header);
  const n = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const out = new Uint8Array(8 + n + data.length);
  let len = n;
  for (let i = 0; i < 8; i++) {
    out[i] = len % 256;
    len = Math.floor(len / 256);
  }
  out.fill(0x20, 8, 8 + n);
  out.set(json, 8);
  out.set(data, 8 + n);
  return out;
}

function expectCheckpointError(f: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a CheckpointError matching ${message}`).toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(message);
}

const t = (shape: number[], offsets: [number, number], dtype = 'F32') =>
  `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;

describe('safetensors', () => {
  it('decodes a file built by hand from the spec', () => {
    // 1.0 = 0x3f800000, -2.0 = 0xc0000000, 0.5 = 0x3f000000, little-endian. 'b' is listed first in the
    // header but stored second: file order comes from the offsets, not from the JSON.
    const bytes = file(
      `{"b":${t([1, 1], [8, 12])},"__metadata__":{"format":"pt","note":"hé"},"a":${t([2], [0, 8])}}`,
      [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f],
    );
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['a', 'b']);
    expect(tensors.a!.shape).toEqual([2]);
    expect(Array.from(tensors.a!.data)).toEqual([1, -2]);
    expect(tensors.b!.shape).toEqual([1, 1]);
    expect(Array.from(tensors.b!.data)).toEqual([0.5]);
    expect(metadata).toEqual({ format: 'pt', note: 'hé' });
    // Copies: overwriting the file afterwards leaves the tensors alone.
    bytes.fill(0xff);
    expect(Array.from(tensors.a!.data)).toEqual([1, -2]);
  });

  it('accepts scalars, empty tensors, an empty file, and unaligned input', () => {
    const bytes = file(`{"s":${t([], [0, 4])},"e":${t([0, 3], [4, 4])}}`, [0, 0, 0x40, 0x40]);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const { tensors } = decodeSafetensors(shifted.subarray(3));
    expect(Array.from(tensors.s!.data)).toEqual([3]);
    expect(tensors.s!.shape).toEqual([]);
    expect(tensors.e!.data.length).toBe(0);
    expect(decodeSafetensors(file('{}'))).toEqual({ tensors: {}, metadata: {} });
  });

  it('round trips bit-exactly: NaN payloads, -0, denormals, infinities', () => {
    const special = fromBits([
      0x7fc00000,
      0x7fc00001,
      0xffc12345,
      0x7f800001,
      0xff800fff, // quiet and signalling NaNs, both signs
      0x80000000,
      0x00000000,
      0x00000001,
      0x807fffff,
      0x00400000, // -0, +0, denormals
      0x7f800000,
      0xff800000,
      0x7f7fffff,
      0x3f800000,
      0xbeaaaaab, // ±Inf, max, 1, -1/3
    ]);
    const big = new Float32Array(1000).map((_, i) => Math.sin(i) * 10 ** ((i % 20) - 10));
    // A view at a non-zero offset of a larger buffer: only its own elements may be written.
    const view = new Float32Array(new ArrayBuffer(40), 12, 6).fill(7);
    const input = {
      special: { shape: [3, 5], data: special },
      big: { shape: [10, 10, 10], data: big },
      view: { shape: [2, 3], data: view },
      scalar: { shape: [], data: new Float32Array([-0]) },
      empty: { shape: [4, 0], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(input, { epoch: '3', arch: 'mlp 784-128-10' });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(Object.keys(input));
    for (const [name, want] of Object.entries(input)) {
      expect(tensors[name]!.shape, name).toEqual(want.shape);
      expect(bitsOf(tensors[name]!.data), name).toEqual(bitsOf(want.data));
    }
    expect(metadata).toEqual({ epoch: '3', arch: 'mlp 784-128-10' });
    expect(encodeSafetensors(tensors, metadata)).toEqual(bytes);
  });

  it('writes the layout the spec describes', () => {
    const bytes = encodeSafetensors({ w: { shape: [2], data: new Float32Array([1, -2]) }, b: { shape: [1], data: new Float32Array([0.5]) } }, { k: 'v' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header[0]).toBe('{');
    expect(header.trimEnd().length).toBeGreaterThan(n - 8);
    expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
    expect(JSON.parse(header)).toEqual({
      __metadata__: { k: 'v' },
      w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    });
    expect(Array.from(bytes.subarray(8 + n))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
    expect(decodeSafetensors(encodeSafetensors({})).tensors).toEqual({});
  });

  it('rejects each kind of corruption with a precise CheckpointError', () => {
    const four = [0, 0, 0x80, 0x3f];
    const ok = (h: string, data = four) => decodeSafetensors(file(h, data));
    expectCheckpointError(() => decodeSafetensors(new Uint8Array(7)), /\(7 bytes\): shorter than the 8-byte header length/);
    const long = file(`{"a":${t([1], [0, 4])}}`, four);
    long[0] = 200;
    expectCheckpointError(() => decodeSafetensors(long), /header length is 200 bytes, but only \d+ bytes follow/);
    const huge = new Uint8Array(16).fill(0xff);
    expectCheckpointError(() => decodeSafetensors(huge), /header length is 18446744073709551615 bytes, but only 8/);
    expectCheckpointError(() => ok('{"a":'), /the header is not valid JSON/);
    expectCheckpointError(() => ok('[1, 2]'), /the header is not a JSON object: "\[1, 2\]"/);
    expectCheckpointError(() => ok(' {}', []), /the header must start with '\{'/);
    const badUtf8 = file('{"a":"xx"}');
    badUtf8[14] = 0xff;
    expectCheckpointError(() => decodeSafetensors(badUtf8), /the header is not valid UTF-8/);
    expectCheckpointError(() => ok('{"a":[1]}'), /tensor 'a' is not an object/);
    expectCheckpointError(() => ok('{"a":{"shape":[1],"data_offsets":[0,4]}}'), /tensor 'a' has no 'dtype'/);
    expectCheckpointError(() => ok('{"a":{"dtype":"F32","data_offsets":[0,4]}}'), /tensor 'a' has no 'shape'/);
    expectCheckpointError(() => ok('{"a":{"dtype":"F32","shape":[1]}}'), /tensor 'a' has no 'data_offsets'/);
    expectCheckpointError(() => ok(`{"a":${t([2], [0, 4], 'F16')}}`), /tensor 'a' has dtype "F16"; only F32 is supported/);
    expectCheckpointError(() => ok(`{"a":${t([1], [0, 8], 'F64')}}`), /dtype "F64"; only F32/);
    expectCheckpointError(() => ok(`{"a":${t([1.5], [0, 4])}}`), /tensor 'a' has shape \[1.5\]: dimension 0 is 1.5, expected an integer >= 0/);
    expectCheckpointError(() => ok(`{"a":${t([1, -1], [0, 4])}}`), /shape \[1,-1\]: dimension 1 is -1/);
    expectCheckpointError(() => ok('{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}'), /dimension 0 is "1"/);
    expectCheckpointError(() => ok('{"a":{"dtype":"F32","shape":3,"data_offsets":[0,4]}}'), /shape 3, expected an array/);
    expectCheckpointError(() => ok(`{"a":${t([2], [0, 4])}}`), /data_offsets \[0, 4\] \(4 bytes\), but shape \[2\] of F32 needs 2 \* 4 = 8 bytes/);
    expectCheckpointError(() => ok(`{"a":${t([1], [4, 8])}}`), /tensor 'a' has data_offsets \[4, 8\], beyond the 4-byte data buffer/);
    expectCheckpointError(() => ok(`{"a":${t([1], [8, 4])}}`), /data_offsets \[8, 4\]: end is before begin/);
    expectCheckpointError(() => ok('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}'), /data_offsets \[0\], expected \[begin, end\]/);
    expectCheckpointError(() => ok('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}'), /expected \[begin, end\], two integers >= 0/);
    const eight = [...four, ...four];
    expectCheckpointError(
      () => ok(`{"a":${t([2], [0, 8])},"b":${t([1], [4, 8])}}`, eight),
      /tensor 'b' \(bytes 4\.\.8\) overlaps tensor 'a' \(which ends at byte 8\)/,
    );
    expectCheckpointError(() => ok(`{"a":${t([1], [4, 8])}}`, eight), /bytes 0\.\.4 of the data buffer, before tensor 'a', belong to no tensor/);
    expectCheckpointError(
      () => ok(`{"a":${t([1], [0, 4])},"b":${t([0], [6, 6])}}`, eight),
      /bytes 4\.\.6 of the data buffer, before tensor 'b', belong to no tensor/,
    );
    expectCheckpointError(() => ok(`{"a":${t([1], [0, 4])}}`, eight), /4 trailing bytes after the last tensor \(the tensors cover 4 of 8 bytes\)/);
    expectCheckpointError(() => ok('{}', four), /4 trailing bytes/);
    expectCheckpointError(() => ok('{"__metadata__":{"epoch":3}}', []), /metadata 'epoch' is 3; metadata values must be strings/);
    expectCheckpointError(() => ok('{"__metadata__":["x"]}', []), /'__metadata__' is not an object of strings/);
    expectCheckpointError(() => ok('{"__metadata__":null}', []), /'__metadata__' is not an object of strings/);
  });

  it('refuses to write what it could not read back', () => {
    const one = new Float32Array(1);
    expectCheckpointError(
      () => encodeSafetensors({ w: { shape: [2, 3], data: new Float32Array(5) } }),
      /cannot write safetensors: tensor 'w' has shape \[2, 3\] \(6 values\), but its data is 5 values/,
    );
    expectCheckpointError(() => encodeSafetensors({ w: { shape: [-1], data: one } }), /dimension 0 is -1/);
    expectCheckpointError(() => encodeSafetensors({ __metadata__: { shape: [1], data: one } }), /'__metadata__' is reserved/);
    expectCheckpointError(
      () => encodeSafetensors({}, { n: 3 as unknown as string }),
      /cannot write safetensors: metadata 'n' is 3; metadata values must be strings/,
    );
  });
});
