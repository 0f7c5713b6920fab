import { WgslReflect, ResourceType, type VariableInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { ShaderCompileError, UniformError } from '../core/errors.js';

export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';
export type OverrideType = 'bool' | 'u32' | 'i32' | 'f32' | 'f16';

/** One resource an entry point uses, as the WGSL declares it. */
export interface BindingInfo {
  name: string;
  group: number;
  binding: number;
  kind: BindingKind;
  /** Fixed byte size for uniforms and sized storage; 0 for runtime-sized arrays. */
  size: number;
}

/** One compute entry point: its workgroup size (null when set by overrides) and its bindings. */
export interface EntryInfo {
  name: string;
  bindings: BindingInfo[];
}

export interface OverrideInfo {
  name: string;
  type: OverrideType;
  hasDefault: boolean;
}

/** A scalar or vector field of a uniform struct, with its byte offset from the reflection. */
export interface UniformField {
  name: string;
  offset: number;
  scalar: 'f32' | 'u32' | 'i32';
  components: number;
}

/** The byte layout of a shader's uniform struct, by field. */
export interface UniformLayout {
  size: number;
  fields: UniformField[];
}

/** Prefix each line with its number, for compiler messages that point into the source. */
export function numberLines(code: string): string {
  const lines = code.split('\n');
  const width = String(lines.length).length;
  return lines.map((l, i) => `${String(i + 1).padStart(width)} | ${l}`).join('\n');
}

/** A WGSL shader parsed once: its entry points, bindings, overrides and uniform layouts. */
export class ShaderInfo {
  readonly entries = new Map<string, EntryInfo>();
  readonly overrides = new Map<string, OverrideInfo>();
  private readonly uniformLayouts = new Map<string, UniformLayout>();

  constructor(
    readonly name: string,
    readonly code: string,
  ) {
    let reflect: WgslReflect;
    try {
      reflect = new WgslReflect(code);
    } catch (e) {
      throw new ShaderCompileError(`shader '${name}' does not parse: ${(e as Error).message}\n${numberLines(code)}`);
    }
    for (const o of reflect.overrides) {
      const type = (o.type?.name ?? 'f32') as OverrideType;
      const hasDefault = new RegExp(`override\\s+${o.name}\\s*(:\\s*\\w+\\s*)?=`).test(code);
      this.overrides.set(o.name, { name: o.name, type, hasDefault });
    }
    for (const fn of reflect.entry.compute) {
      const bindings = fn.resources
        .filter((v) => v.resourceType === ResourceType.Uniform || v.resourceType === ResourceType.Storage)
        .map((v) => toBinding(v))
        .sort((a, b) => a.group - b.group || a.binding - b.binding);
      this.entries.set(fn.name, { name: fn.name, bindings });
    }
    if (this.entries.size === 0) {
      throw new ShaderCompileError(`shader '${name}' declares no @compute entry point`);
    }
    for (const u of reflect.uniforms) {
      this.uniformLayouts.set(u.name, uniformLayoutOf(name, u));
    }
  }

  /** The entry point's reflection; throws naming the entry points that exist. */
  entry(name: string): EntryInfo {
    const e = this.entries.get(name);
    if (!e) {
      throw new ShaderCompileError(`shader '${this.name}' has no compute entry point '${name}'; it declares: ${[...this.entries.keys()].join(', ')}`);
    }
    return e;
  }

  /** Layout of the uniform variable `binding` (a struct of scalars and vectors). */
  uniformLayout(binding: string): UniformLayout {
    const l = this.uniformLayouts.get(binding);
    if (!l) throw new UniformError(`shader '${this.name}' declares no uniform named '${binding}'`);
    return l;
  }
}

function toBinding(v: VariableInfo): BindingInfo {
  const kind: BindingKind = v.resourceType === ResourceType.Uniform ? 'uniform' : v.access === 'read' ? 'read-only-storage' : 'storage';
  return { name: v.name, group: v.group, binding: v.binding, kind, size: v.size };
}

function uniformLayoutOf(shader: string, u: VariableInfo): UniformLayout {
  const members = u.members;
  if (!members) {
    throw new UniformError(`shader '${shader}': uniform '${u.name}' must be a struct of scalars and vectors`);
  }
  const fields = members.map((m): UniformField => {
    const t = m.type.getTypeName();
    const vec = /^vec([234])([fiu])$/.exec(t);
    const scalarName = vec ? `${vec[2]}32` : t;
    const scalar = (['f32', 'u32', 'i32'] as const).find((s) => s === scalarName);
    if (!scalar) {
      throw new UniformError(`shader '${shader}': uniform field '${u.name}.${m.name}' has unsupported type ${t}`);
    }
    return { name: m.name, offset: m.offset, scalar, components: vec ? Number(vec[1]) : 1 };
  });
  return { size: Math.ceil(u.size / 16) * 16, fields };
}

export type UniformValues = Record<string, number | readonly number[]>;

/** Pack `values` into the layout; every field must be given, finite, and no unknown name may appear. */
export function packUniforms(shader: string, binding: string, layout: UniformLayout, values: UniformValues, buf = new ArrayBuffer(layout.size)): ArrayBuffer {
  const view = new DataView(buf);
  const known = new Set(layout.fields.map((f) => f.name));
  for (const k of Object.keys(values)) {
    if (!known.has(k)) {
      throw new UniformError(`shader '${shader}': '${binding}' has no field '${k}'; its fields are ${[...known].join(', ')}`);
    }
  }
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new UniformError(`shader '${shader}': uniform field '${binding}.${f.name}' not given`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== f.components) {
      throw new UniformError(`shader '${shader}': '${binding}.${f.name}' needs ${f.components} component(s), got ${arr.length}`);
    }
    arr.forEach((x, i) => {
      const at = f.offset + 4 * i;
      if (!Number.isFinite(x)) {
        throw new UniformError(`shader '${shader}': '${binding}.${f.name}' must be finite, got ${x}`);
      }
      if (f.scalar === 'f32') view.setFloat32(at, x, true);
      else if (f.scalar === 'u32') {
        if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) {
          throw new UniformError(`shader '${shader}': '${binding}.${f.name}' must be a u32, got ${x}`);
        }
        view.setUint32(at, x, true);
      } else {
        if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) {
          throw new UniformError(`shader '${shader}': '${binding}.${f.name}' must be an i32, got ${x}`);
        }
        view.setInt32(at, x, true);
      }
    });
  }
  return buf;
}
