// Every .wgsl parses and compiles, and every wrapper binds exactly what its shader declares.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import {
  ACTIVATIONS,
  MATMUL_VARIANTS,
  ShaderInfo,
  Tensor,
  prepareActivation,
  prepareActivationGrad,
  prepareAdd,
  prepareMatmul,
  prepareScale,
  shaderNames,
  shaderSource,
  type Dispatch,
} from '../src/index.js';
import { rawShader } from '../src/kernels/sources.js';
import { gpu } from './helpers/gpu.js';

const root = join(import.meta.dirname, '..', 'shaders');
const onDisk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? onDisk(join(dir, e.name)) : e.name.endsWith('.wgsl') ? [join(dir, e.name)] : []));

describe('shader files', () => {
  const files = onDisk(root).map((f) => relative(root, f).replace(/\.wgsl$/, ''));

  it('every file on disk is in the shader registry', () => {
    const kernels = files.filter((f) => !f.startsWith('include/')).sort();
    expect(kernels).toEqual(shaderNames());
    for (const f of files) expect(() => rawShader(f)).not.toThrow();
  });

  for (const name of shaderNames()) {
    it(`${name}.wgsl parses, declares a header comment, and compiles on the GPU`, async () => {
      const code = shaderSource(name);
      expect(() => new WgslReflect(code)).not.toThrow();
      const info = new ShaderInfo(name, code);
      expect(info.entries.size).toBeGreaterThan(0);
      expect(rawShader(name).startsWith('//'), `${name}.wgsl must open with its header comment`).toBe(true);
      expect(rawShader(name)).toMatch(/Reference: .*src\/reference\//);
      const rt = await gpu();
      const module = rt.device.createShaderModule({ code, label: name });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      expect(errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`)).toEqual([]);
    });
  }
});

/** The names a dispatch's bind groups carry must be exactly those its entry point declares. */
function expectBindsAllDeclared(d: Dispatch, given: string[]) {
  const declared = d.kernel.entry.bindings.map((b) => b.name).sort();
  expect(given.sort(), d.label).toEqual(declared);
}

describe('wrappers bind what their shaders declare', () => {
  it('matmul (every variant, with and without bias; the gate where the variant has one)', async () => {
    const rt = await gpu();
    const a = Tensor.zeros(rt, [4, 3]);
    const b = Tensor.zeros(rt, [3, 5]);
    const c = Tensor.zeros(rt, [4, 5]);
    const bias = Tensor.zeros(rt, [5]);
    for (const variant of MATMUL_VARIANTS) {
      for (const withBias of [false, true]) {
        const d = await prepareMatmul(rt, withBias ? { a, b, c, bias } : { a, b, c }, { variant, activation: 'relu' });
        // vec4 has its own bindings and no gate; every other variant shares matmul_common's, gate included, and
        // gemm adds its vec4 views of a and b.
        const common = ['params', 'a', 'b', 'bias', 'c', 'gate', ...(d.kernel.shader.name === 'matmul_gemm' ? ['a4', 'b4', 'lay'] : [])];
        expectBindsAllDeclared(d, d.kernel.shader.name === 'matmul_vec4' ? ['params', 'a', 'b', 'bias', 'c'] : common);
        rt.release(d);
      }
    }
  });

  it('activation, activation_grad, add, scale', async () => {
    const rt = await gpu();
    const [x, y, dy] = [Tensor.zeros(rt, [8]), Tensor.zeros(rt, [8]), Tensor.zeros(rt, [8])];
    for (const activation of ACTIVATIONS) {
      const f = await prepareActivation(rt, { x, y }, { activation });
      expectBindsAllDeclared(f, ['params', 'x', 'y']);
      const g = await prepareActivationGrad(rt, { x, dy, dx: y }, { activation });
      expectBindsAllDeclared(g, ['params', 'x', 'dy', 'dx']);
    }
    expectBindsAllDeclared(await prepareAdd(rt, { a: x, b: dy, out: y }), ['params', 'a', 'b', 'out']);
    expectBindsAllDeclared(await prepareScale(rt, { a: x, out: y }, 2), ['params', 'a', 'out']);
  });
});
