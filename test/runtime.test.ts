// The runtime's contracts: typed errors before anything reaches the GPU, leak accounting, caching, teardown.
import { describe, expect, it } from 'vitest';
import {
  BindingError,
  BufferSizeError,
  DeviceError,
  NoAdapterError,
  OptionError,
  OverrideError,
  ShaderCompileError,
  ShapeError,
  Tensor,
  UniformError,
  activation,
  createRuntime,
  matmul,
  type Activation,
} from '../src/index.js';
import { gpu } from './helpers/gpu.js';

describe('device', () => {
  it('names its adapter and records the optional features it enabled', async () => {
    const rt = await gpu();
    expect(rt.description.length).toBeGreaterThan(0);
    for (const f of rt.features) expect(rt.device.features.has(f)).toBe(true);
    expect(rt.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
  });

  it('leaves a feature off when asked, so fallbacks can be tested', async () => {
    const rt = await createRuntime({ disableFeatures: ['shader-f16', 'subgroups', 'timestamp-query'] });
    expect(rt.features.size).toBe(0);
    expect(rt.device.features.has('shader-f16')).toBe(false);
    rt.destroy();
  });

  it('rejects an unknown Vulkan driver with install instructions', async () => {
    const err = await createRuntime({ vulkanDriver: '/nonexistent/icd.json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAdapterError);
    expect((err as Error).message).toMatch(/Vulkan driver '\/nonexistent\/icd.json' not found.*lavapipe/);
  });
});

describe('bad input is a typed error before anything reaches the GPU', () => {
  it('mismatched matmul shapes name both operands', async () => {
    const rt = await gpu();
    const a = Tensor.zeros(rt, [3, 4], 'A');
    const b = Tensor.zeros(rt, [5, 2], 'B');
    await expect(matmul(rt, a, b)).rejects.toThrow(ShapeError);
    await expect(matmul(rt, a, b)).rejects.toThrow(/op\(A\) is 3x4 .* op\(B\) is 5x2.*inner dimensions 4 and 5/);
    await expect(matmul(rt, a, b, { transB: true })).rejects.toThrow(/inner dimensions 4 and 2/);
    await expect(matmul(rt, a, Tensor.zeros(rt, [4, 2]), { out: Tensor.zeros(rt, [3, 3]) })).rejects.toThrow(/C must have shape \[3, 2\]/);
    await expect(matmul(rt, a, Tensor.zeros(rt, [4, 2]), { bias: Tensor.zeros(rt, [3]) })).rejects.toThrow(/bias must have shape \[2\]/);
  });

  it('a gated matmul names what is missing or inconsistent', async () => {
    const rt = await gpu();
    const a = Tensor.zeros(rt, [3, 4], 'A');
    const b = Tensor.zeros(rt, [4, 2], 'B');
    const gate = Tensor.zeros(rt, [3, 2], 'gate');
    await expect(matmul(rt, a, b, { gate })).rejects.toThrow(/needs both the gate tensor and gateActivation, got no gateActivation/);
    await expect(matmul(rt, a, b, { gateActivation: 'relu' })).rejects.toThrow(/got no gate tensor/);
    await expect(matmul(rt, a, b, { gate: Tensor.zeros(rt, [2, 3]), gateActivation: 'relu' })).rejects.toThrow(
      /gate must have C's shape \[3, 2\], got \[2, 3\]/,
    );
    await expect(matmul(rt, a, b, { gate, gateActivation: 'relu', bias: Tensor.zeros(rt, [2]) })).rejects.toThrow(
      /cannot be combined with a bias or a forward activation/,
    );
    await expect(matmul(rt, a, b, { gate, gateActivation: 'relu', activation: 'tanh' })).rejects.toThrow(OptionError);
    await expect(matmul(rt, a, b, { gate, gateActivation: 'gelu' })).rejects.toThrow(/'gelu' has no derivative as a function of its output/);
  });

  it('a buffer smaller than the dispatch needs', async () => {
    const rt = await gpu();
    const kernel = await rt.kernel('activation');
    const small = rt.buffers.create(16, { label: 'small' });
    const big = rt.buffers.create(400, { label: 'big' });
    const spec = {
      buffers: { x: small, y: big },
      uniforms: { params: { n: 100, slope: 0 } },
      workgroups: [1] as const,
      needs: { x: 400, y: 400 },
    };
    expect(() => rt.prepare(kernel, spec)).toThrow(BufferSizeError);
    expect(() => rt.prepare(kernel, spec)).toThrow(/binding 'x' is 16 bytes \('small'\), the dispatch needs 400/);
    expect(() => Tensor.from(rt, [1, 2, 3], [2, 2])).toThrow(/3 values given for shape \[2, 2\]/);
    const misaligned = { ...spec, buffers: { x: { buffer: big, offset: 4, size: 16 }, y: big }, needs: {} };
    expect(() => rt.prepare(kernel, misaligned)).toThrow(/binding 'x' starts at byte 4, not a multiple of 256/);
  });

  it('an unknown activation lists the known ones', async () => {
    const rt = await gpu();
    const x = Tensor.zeros(rt, [4]);
    await expect(activation(rt, x, { activation: 'swish' as Activation })).rejects.toThrow(OptionError);
    await expect(activation(rt, x, { activation: 'swish' as Activation })).rejects.toThrow(
      /unknown activation 'swish'; expected one of: identity, relu, leaky_relu, sigmoid, tanh, gelu/,
    );
    await expect(matmul(rt, Tensor.zeros(rt, [1, 1]), Tensor.zeros(rt, [1, 1]), { variant: 'fast' as 'naive' })).rejects.toThrow(
      /unknown matmul variant 'fast'/,
    );
  });

  it('a binding name the shader does not declare, or one left out', async () => {
    const rt = await gpu();
    const kernel = await rt.kernel('activation');
    const buf = rt.buffers.create(64);
    const base = { uniforms: { params: { n: 1, slope: 0 } }, workgroups: [1] as const };
    expect(() => rt.prepare(kernel, { ...base, buffers: { x: buf, y: buf, z: buf } })).toThrow(BindingError);
    expect(() => rt.prepare(kernel, { ...base, buffers: { x: buf, y: buf, z: buf } })).toThrow(/declares no binding 'z'; it declares: params, x, y/);
    expect(() => rt.prepare(kernel, { ...base, buffers: { x: buf } })).toThrow(/storage binding 'y' not given/);
  });

  it('an override the shader does not declare, or of the wrong type', async () => {
    const rt = await gpu();
    expect(() => rt.kernel('activation', { constants: { TILE: 8 } })).toThrow(OverrideError);
    expect(() => rt.kernel('activation', { constants: { TILE: 8 } })).toThrow(/declares no override 'TILE'; it declares: ACT, WG/);
    expect(() => rt.kernel('matmul_naive', { constants: { HAS_BIAS: 1 } })).toThrow(/is a bool/);
    expect(() => rt.kernel('activation', { constants: { WG: -4 } })).toThrow(/is a u32/);
  });

  it('uniform values: unknown, missing and non-finite fields', async () => {
    const rt = await gpu();
    const kernel = await rt.kernel('activation');
    const buf = rt.buffers.create(64);
    const spec = (params: Record<string, number>) => ({ buffers: { x: buf, y: buf }, uniforms: { params }, workgroups: [1] as const });
    expect(() => rt.prepare(kernel, spec({ n: 1, slope: 0, extra: 1 }))).toThrow(UniformError);
    expect(() => rt.prepare(kernel, spec({ n: 1 }))).toThrow(/'params.slope' not given/);
    expect(() => rt.prepare(kernel, spec({ n: 1, slope: NaN }))).toThrow(/must be finite/);
    expect(() => rt.prepare(kernel, spec({ n: -1, slope: 0 }))).toThrow(/must be a u32/);
  });

  it('an oversized buffer is refused with the device limit', async () => {
    const rt = await gpu();
    expect(() => rt.buffers.create(rt.limits.maxBufferSize + 4, { label: 'huge' })).toThrow(/'huge': \d+ bytes exceeds this device's maxBufferSize/);
  });
});

describe('shader compile errors', () => {
  it('name the shader and carry the compiler messages and numbered source', async () => {
    const rt = await gpu();
    rt.registerShader(
      'broken',
      '// broken on purpose\n@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(1)\nfn main() {\n  y[0] = undefined_fn(1.0);\n}\n',
    );
    const err = await rt.kernel('broken').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/shader 'broken' failed to compile/);
    expect(msg).toMatch(/broken\.wgsl:5:\d+: .*undefined_fn/);
    expect(msg).toMatch(/5 \|\s+y\[0\] = undefined_fn\(1\.0\);/);
  });

  it('a parse error is caught by reflection before the GPU sees it', async () => {
    const rt = await gpu();
    rt.registerShader('unparsable', 'fn main( {');
    expect(() => rt.kernel('unparsable')).toThrow(ShaderCompileError);
  });
});

describe('pipelines, buffers and teardown', () => {
  it('caches a pipeline per shader + entry + constants', async () => {
    const rt = await gpu();
    const a = await rt.kernel('activation', { constants: { ACT: 1 } });
    expect(await rt.kernel('activation', { constants: { ACT: 1 } })).toBe(a);
    expect(await rt.kernel('activation', { constants: { ACT: 2 } })).not.toBe(a);
  });

  it('counts live buffers and bytes; one-shot kernels leak nothing', async () => {
    const rt = await createRuntime();
    const before = rt.buffers.stats();
    const a = Tensor.from(rt, new Float32Array(12).fill(1), [3, 4]);
    const b = Tensor.from(rt, new Float32Array(8).fill(2), [4, 2]);
    expect(rt.buffers.stats().buffers).toBe(before.buffers + 2);
    expect(rt.buffers.stats().bytes).toBe(before.bytes + 48 + 32);
    const c = await matmul(rt, a, b);
    expect([...(await c.read())]).toEqual([8, 8, 8, 8, 8, 8]);
    const afterFirst = rt.buffers.stats(); // includes the placeholder bias buffer, made once
    for (let i = 0; i < 5; i++) (await matmul(rt, a, b)).destroy();
    expect(rt.buffers.stats()).toEqual(afterFirst);
    for (const t of [a, b, c]) t.destroy();
    rt.destroy();
    expect(rt.buffers.stats()).toEqual({ buffers: 0, bytes: 0 });
  });

  it('a destroyed runtime refuses work with a DeviceError', async () => {
    const rt = await createRuntime();
    rt.destroy();
    expect(() => rt.kernel('activation')).toThrow(DeviceError);
    expect(() => rt.upload(new Float32Array(4))).toThrow(/destroyed/);
  });
});
