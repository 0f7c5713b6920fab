import { ShaderCompileError } from '../core/errors.js';

// Every .wgsl under shaders/, as text, keyed by path relative to shaders/ without the extension.
const files = import.meta.glob('../../shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const byName = new Map(Object.entries(files).map(([path, code]) => [path.replace(/^.*\/shaders\//, '').replace(/\.wgsl$/, ''), code]));

const INCLUDE = /^\s*\/\/#include\s+([\w/]+)\s*$/gm;

/** Names of the kernels shipped in shaders/ (the files under shaders/include/ are pieces, not kernels). */
export function shaderNames(): string[] {
  return [...byName.keys()].filter((n) => !n.startsWith('include/')).sort();
}

/** The raw text of a shader file, includes not expanded. */
export function rawShader(name: string): string {
  const code = byName.get(name);
  if (code === undefined) {
    throw new ShaderCompileError(`no shader named '${name}' in shaders/; there are: ${shaderNames().join(', ')}`);
  }
  return code;
}

/**
 * A kernel's WGSL with each `//#include name` line replaced by shaders/include/name.wgsl, once per shader
 * (a piece included twice, directly or through another piece, is pasted only the first time).
 */
export function shaderSource(name: string): string {
  const seen = new Set<string>();
  const expand = (code: string, from: string): string =>
    code.replace(INCLUDE, (_line, inc: string) => {
      if (seen.has(inc)) return `// (${inc} already included)`;
      seen.add(inc);
      const piece = byName.get(`include/${inc}`);
      if (piece === undefined) {
        throw new ShaderCompileError(`shader '${from}' includes '${inc}', but shaders/include/${inc}.wgsl does not exist`);
      }
      return `// ---- begin include/${inc}.wgsl ----\n${expand(piece, `include/${inc}`)}\n// ---- end include/${inc}.wgsl ----`;
    });
  return expand(rawShader(name), name);
}
