import { BindingError, BufferSizeError, OverrideError, ShaderCompileError, ShapeError } from '../core/errors.js';
import { resolveRef, type BufferRef } from './buffers.js';
import { numberLines, packUniforms, type EntryInfo, type ShaderInfo, type UniformValues } from './shader.js';

export type OverrideValue = number | boolean;
/** A shader's override constants by name. */
export type Overrides = Record<string, OverrideValue>;

/** Check `given` against the overrides the shader declares and convert them to pipeline constants. */
export function checkOverrides(shader: ShaderInfo, given: Overrides): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(given)) {
    const decl = shader.overrides.get(name);
    if (!decl) {
      const known = [...shader.overrides.keys()];
      throw new OverrideError(`shader '${shader.name}' declares no override '${name}'; it declares: ${known.join(', ') || '(none)'}`);
    }
    if (decl.type === 'bool') {
      if (typeof value !== 'boolean') {
        throw new OverrideError(`override '${name}' of shader '${shader.name}' is a bool, got ${String(value)}`);
      }
      out[name] = value ? 1 : 0;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new OverrideError(`override '${name}' of shader '${shader.name}' is a ${decl.type}, got ${String(value)}`);
    }
    if ((decl.type === 'u32' && (!Number.isInteger(value) || value < 0)) || (decl.type === 'i32' && !Number.isInteger(value))) {
      throw new OverrideError(`override '${name}' of shader '${shader.name}' is a ${decl.type}, got ${value}`);
    }
    out[name] = value;
  }
  for (const decl of shader.overrides.values()) {
    if (!decl.hasDefault && !(decl.name in out)) {
      throw new OverrideError(`shader '${shader.name}' needs a value for override '${decl.name}' (${decl.type})`);
    }
  }
  return out;
}

/** Compiler messages of a failed module as an error naming the shader, with numbered source lines. */
export async function compileErrors(shader: ShaderInfo, module: GPUShaderModule): Promise<ShaderCompileError | null> {
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length === 0) return null;
  const msgs = errors.map((m) => `  ${shader.name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
  return new ShaderCompileError(`shader '${shader.name}' failed to compile:\n${msgs}\n${numberLines(shader.code)}`);
}

/** A compiled pipeline with its reflected bindings: the unit the pipeline cache holds. */
export class Kernel {
  constructor(
    readonly shader: ShaderInfo,
    readonly entry: EntryInfo,
    readonly pipeline: GPUComputePipeline,
    readonly layouts: GPUBindGroupLayout[],
    readonly key: string,
  ) {}
}

/** Bind-group layouts built from the shader's declarations, one per group it uses. */
export function bindGroupLayouts(device: GPUDevice, shader: ShaderInfo, entry: EntryInfo): GPUBindGroupLayout[] {
  const groups = Math.max(-1, ...entry.bindings.map((b) => b.group)) + 1;
  const layouts: GPUBindGroupLayout[] = [];
  for (let g = 0; g < groups; g++) {
    layouts.push(
      device.createBindGroupLayout({
        label: `${shader.name}:${entry.name}:group${g}`,
        entries: entry.bindings.filter((b) => b.group === g).map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind } })),
      }),
    );
  }
  return layouts;
}

/** What a dispatch needs: buffers by binding name, uniform values, workgroup counts and minimum sizes. */
export interface DispatchSpec {
  buffers: Record<string, BufferRef>;
  uniforms?: Record<string, UniformValues>;
  workgroups: readonly [number, number?, number?];
  /** Minimum bytes each named binding must hold for this dispatch. */
  needs?: Record<string, number>;
  label?: string;
}

/** A dispatch with every bind group made: encoding it allocates nothing. */
export class Dispatch {
  private readonly values = new Map<string, UniformValues>();
  private readonly staging = new Map<string, ArrayBuffer>();

  constructor(
    readonly kernel: Kernel,
    readonly bindGroups: GPUBindGroup[],
    readonly workgroups: [number, number, number],
    readonly uniformBuffers: Map<string, GPUBuffer>,
    readonly label: string,
    private readonly writeUniform: (buffer: GPUBuffer, data: ArrayBuffer) => void,
    initial: Record<string, UniformValues> = {},
  ) {
    for (const [k, v] of Object.entries(initial)) this.values.set(k, { ...v });
  }

  /**
   * Change some of this dispatch's uniform fields (e.g. a new learning rate, the metrics slot); the others
   * keep their values. Takes effect at the next submit, in queue order.
   */
  setUniforms(binding: string, values: UniformValues): void {
    const buf = this.uniformBuffers.get(binding);
    if (!buf) throw new BindingError(`dispatch '${this.label}' has no uniform binding '${binding}'`);
    const merged = { ...this.values.get(binding), ...values };
    const layout = this.kernel.shader.uniformLayout(binding);
    let target = this.staging.get(binding);
    if (!target) this.staging.set(binding, (target = new ArrayBuffer(layout.size)));
    packUniforms(this.kernel.shader.name, binding, layout, merged, target);
    this.values.set(binding, merged);
    this.writeUniform(buf, target);
  }

  /** Record this dispatch into a compute pass. */
  encode(pass: GPUComputePassEncoder): void {
    pass.setPipeline(this.kernel.pipeline);
    this.bindGroups.forEach((g, i) => pass.setBindGroup(i, g));
    const [x, y, z] = this.workgroups;
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  }
}

/** Validate the spec's names and sizes against the kernel; returns the resolved storage bindings. */
export function checkBindings(kernel: Kernel, spec: DispatchSpec, limits: GPUSupportedLimits) {
  const maxWorkgroups = limits.maxComputeWorkgroupsPerDimension;
  const { shader, entry } = kernel;
  const declared = new Map(entry.bindings.map((b) => [b.name, b]));
  const what = `${shader.name}:${entry.name}`;
  for (const name of [...Object.keys(spec.buffers), ...Object.keys(spec.uniforms ?? {})]) {
    if (!declared.has(name)) {
      throw new BindingError(`kernel ${what} declares no binding '${name}'; it declares: ${[...declared.keys()].join(', ')}`);
    }
  }
  const resolved = new Map<string, ReturnType<typeof resolveRef>>();
  for (const b of entry.bindings) {
    if (b.kind === 'uniform') {
      if (!spec.uniforms?.[b.name]) throw new BindingError(`kernel ${what}: uniform '${b.name}' not given`);
      continue;
    }
    const ref = spec.buffers[b.name];
    if (!ref) throw new BindingError(`kernel ${what}: storage binding '${b.name}' not given`);
    const r = resolveRef(ref);
    const align = limits.minStorageBufferOffsetAlignment;
    if (r.offset % align !== 0) {
      throw new BufferSizeError(`kernel ${what}: binding '${b.name}' starts at byte ${r.offset}, not a multiple of ${align}`);
    }
    const need = spec.needs?.[b.name] ?? 0;
    if (r.size < need) {
      throw new BufferSizeError(`kernel ${what}: binding '${b.name}' is ${r.size} bytes ('${r.buffer.label}'), the dispatch needs ${need} bytes`);
    }
    resolved.set(b.name, r);
  }
  const wg = spec.workgroups;
  for (const n of wg) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > maxWorkgroups)) {
      throw new ShapeError(`kernel ${what}: ${n} workgroups in one dimension; the device allows 0..${maxWorkgroups}`);
    }
  }
  return resolved;
}
