// The safetensors checkpoint format (https://github.com/huggingface/safetensors), F32 only:
//   u64 little-endian N | N bytes of UTF-8 JSON header | byte buffer
// The header maps each tensor name to { dtype, shape, data_offsets: [begin, end] } (offsets relative to the
// byte buffer) plus an optional "__metadata__" map of strings. The buffer must be covered exactly: tensors
// back to back, no gaps, no overlaps, nothing after the last one.
//
// Tensor bytes are copied as bytes, never through JS numbers, because a float32 -> float64 -> float32 trip
// may quieten NaN payloads; this is what makes the round trip bit-exact.
import { CheckpointError } from '../core/errors.js';

/** A named tensor as stored in a checkpoint: a shape and its row-major float32 values. */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** A decoded safetensors file: tensors in file order, and the free-form string metadata. */
export interface Safetensors {
  tensors: Record<string, NamedTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
const F32_BYTES = 4;
// Bytes are stored little-endian; on a big-endian host each 4-byte group must be reversed.
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Serializes tensors (F32, in the given order) and string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    checkMetadata(metadata, 'cannot write safetensors');
    // Copied key by key so the header holds exactly the strings that were checked.
    header[METADATA_KEY] = { ...metadata };
  }
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) {
      throw new CheckpointError(`cannot write safetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
    }
    const count = numel(name, t.shape, 'cannot write safetensors');
    if (!(t.data instanceof Float32Array) || t.data.length !== count) {
      const got = t.data instanceof Float32Array ? `${t.data.length} values` : 'not a Float32Array';
      throw new CheckpointError(`cannot write safetensors: tensor '${name}' has shape [${t.shape.join(', ')}] (${count} values), but its data is ${got}`);
    }
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + count * F32_BYTES] };
    offset += count * F32_BYTES;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padding the header to a multiple of 8 bytes keeps the buffer 8-aligned, so readers may map it in place.
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let at = 8 + headerLen;
  for (const [, t] of entries) {
    copyF32Bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), out, at);
    at += t.data.byteLength;
  }
  return out;
}

/** The file's bytes as given: a Uint8Array (a Node Buffer is one), any other view of bytes, or an ArrayBuffer. */
export type SafetensorsInput = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Parses and fully validates safetensors bytes (F32 only); the returned arrays are copies, not views. */
export function decodeSafetensors(input: SafetensorsInput): Safetensors {
  const bytes = asBytes(input);
  const fail = (why: string): never => {
    throw new CheckpointError(`invalid safetensors file (${bytes.length} bytes): ${why}`);
  };
  if (bytes.length < 8) fail('shorter than the 8-byte header length that starts every file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    fail(`the header length is ${declared} bytes, but only ${bytes.length - 8} bytes follow the 8-byte length`);
  }
  const headerLen = Number(declared);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('the header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(`the header is not a JSON object: ${JSON.stringify(text.trim().slice(0, 40))}`);
  }
  // JSON allows leading whitespace; the spec does not (the reference reader rejects it), so neither do we.
  if (!text.startsWith('{')) fail(`the header must start with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  const header = parsed as Record<string, unknown>;

  let metadata: Record<string, string> = {};
  if (METADATA_KEY in header) {
    const m = header[METADATA_KEY];
    if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(`'${METADATA_KEY}' is not an object of strings`);
    checkMetadata(m as Record<string, unknown>, 'invalid safetensors file');
    metadata = { ...(m as Record<string, string>) };
  }

  const infos: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    const where = `tensor '${name}'`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`${where} is not an object`);
    const e = entry as Record<string, unknown>;
    for (const field of ['dtype', 'shape', 'data_offsets']) {
      if (!(field in e)) fail(`${where} has no '${field}'`);
    }
    if (e.dtype !== 'F32') {
      fail(`${where} has dtype ${JSON.stringify(e.dtype)}; only F32 is supported`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape)) fail(`${where} has shape ${JSON.stringify(shape)}, expected an array of dimensions`);
    const count = numel(name, shape as unknown[], 'invalid safetensors file');
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((v) => Number.isSafeInteger(v) && v >= 0)) {
      fail(`${where} has data_offsets ${JSON.stringify(off)}, expected [begin, end], two integers >= 0`);
    }
    const [begin, end] = off as [number, number];
    if (end < begin) fail(`${where} has data_offsets [${begin}, ${end}]: end is before begin`);
    if (end - begin !== count * F32_BYTES) {
      fail(
        `${where} has data_offsets [${begin}, ${end}] (${end - begin} bytes), but shape [${(shape as number[]).join(', ')}] ` +
          `of F32 needs ${count} * 4 = ${count * F32_BYTES} bytes`,
      );
    }
    if (end > dataLen) fail(`${where} has data_offsets [${begin}, ${end}], beyond the ${dataLen}-byte data buffer`);
    infos.push({ name, shape: shape as number[], begin, end });
  }

  // Sorting by offset (end breaks ties, for empty tensors) turns "covers the buffer exactly" into a linear walk.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const t of infos) {
    if (t.begin < covered) {
      fail(`tensor '${t.name}' (bytes ${t.begin}..${t.end}) overlaps tensor '${previous}' (which ends at byte ${covered})`);
    }
    if (t.begin > covered) {
      fail(`bytes ${covered}..${t.begin} of the data buffer, before tensor '${t.name}', belong to no tensor`);
    }
    covered = t.end;
    previous = t.name;
  }
  if (covered !== dataLen) {
    fail(`${dataLen - covered} trailing bytes after the last tensor (the tensors cover ${covered} of ${dataLen} bytes)`);
  }

  const tensors: Record<string, NamedTensor> = {};
  for (const t of infos) {
    const copy = new Uint8Array(t.end - t.begin);
    copyF32Bytes(bytes.subarray(dataStart + t.begin, dataStart + t.end), copy, 0);
    tensors[t.name] = { shape: t.shape.slice(), data: new Float32Array(copy.buffer) };
  }
  return { tensors, metadata };
}

/** A byte view of the input, without copying; anything else is a CheckpointError saying what is expected. */
function asBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  // By tag, not instanceof: an ArrayBuffer from another realm (a worker, a test environment) is still one.
  const tag = Object.prototype.toString.call(input);
  if (tag === '[object ArrayBuffer]' || tag === '[object SharedArrayBuffer]') return new Uint8Array(input as ArrayBuffer);
  const got = input === null || typeof input !== 'object' ? String(input) : `a ${tag.slice(8, -1)}`;
  throw new CheckpointError(`invalid safetensors input: expected the file's bytes (a Uint8Array, a Node Buffer or an ArrayBuffer), got ${got}`);
}

/** Element count of a shape, or a CheckpointError naming the tensor and the offending dimension. */
function numel(name: string, shape: readonly unknown[], context: string): number {
  if (!Array.isArray(shape)) {
    throw new CheckpointError(`${context}: tensor '${name}' has shape ${JSON.stringify(shape)}, expected an array`);
  }
  let count = 1;
  shape.forEach((dim, i) => {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
      throw new CheckpointError(
        `${context}: tensor '${name}' has shape ${JSON.stringify(shape)}: dimension ${i} is ${JSON.stringify(dim)}, ` + `expected an integer >= 0`,
      );
    }
    count *= dim;
  });
  if (!Number.isSafeInteger(count * F32_BYTES)) {
    throw new CheckpointError(`${context}: tensor '${name}' has shape [${shape.join(', ')}], too large to address`);
  }
  return count;
}

function checkMetadata(m: Record<string, unknown>, context: string): void {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'string') {
      throw new CheckpointError(`${context}: metadata '${k}' is ${JSON.stringify(v) ?? typeof v}; metadata values must be strings`);
    }
  }
}

/** Copies float32 bytes between host order and the file's little-endian order (a plain copy on LE hosts). */
function copyF32Bytes(src: Uint8Array, dst: Uint8Array, at: number): void {
  if (HOST_LITTLE_ENDIAN) {
    dst.set(src, at);
    return;
  }
  for (let i = 0; i < src.length; i += 4) {
    dst[at + i] = src[i + 3]!;
    dst[at + i + 1] = src[i + 2]!;
    dst[at + i + 2] = src[i + 1]!;
    dst[at + i + 3] = src[i]!;
  }
}
