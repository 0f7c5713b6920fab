// The structural rules of eslint.config.js bite: each layering ban reports an import that crosses it, a planted
// import cycle is reported, and what the layers may import stays allowed. Test files are named one way.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// ignore: false lints the planted cycle, which the config ignores so that `eslint .` passes.
const eslint = new ESLint({ cwd: root, ignore: false });

/** The rule ids ESLint reports for `code` as if it were the file at `filePath` (relative to the root). */
async function ruleIds(filePath: string, code: string): Promise<(string | null)[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result!.messages.map((m) => m.ruleId);
}

describe('layering', () => {
  const banned: [file: string, importPath: string][] = [
    ['src/gpu/x.ts', '../kernels/matmul.js'],
    ['src/gpu/x.ts', '../scheduler/plan.js'],
    ['src/gpu/x.ts', '../train/network.js'],
    ['src/gpu/x.ts', '../optim/index.js'],
    ['src/gpu/x.ts', '../nn/model.js'],
    ['src/gpu/x.ts', '../bench/suites.js'],
    ['src/gpu/x.ts', '../index.js'],
    ['src/reference/x.ts', '../gpu/runtime.js'],
    ['src/reference/x.ts', '../kernels/activation.js'],
    ['src/reference/x.ts', '../scheduler/plan.js'],
    ['src/nn/x.ts', '../gpu/tensor.js'],
    ['src/nn/x.ts', '../train/fit.js'],
    ['src/nn/x.ts', '../bench/suites.js'],
    ['src/nn/deep/x.ts', '../../kernels/matmul.js'],
    ['src/core/x.ts', '../util/rng.js'],
    ['src/core/x.ts', '../reference/index.js'],
  ];
  for (const [file, from] of banned) {
    it(`${file} may not import '${from}'`, async () => {
      expect(await ruleIds(file, `import { x } from '${from}';\nexport const y = x;\n`)).toEqual(['no-restricted-imports']);
    });
  }

  it('lets each layer import what sits below it', async () => {
    expect(
      await ruleIds('src/gpu/x.ts', "import { DeviceError } from '../core/errors.js';\nimport { Rng } from '../util/rng.js';\nexport { DeviceError, Rng };\n"),
    ).toEqual([]);
    expect(await ruleIds('src/nn/x.ts', "import { ACTIVATIONS } from '../core/activations.js';\nexport const a = ACTIVATIONS;\n")).toEqual([]);
    expect(await ruleIds('src/core/x.ts', "import { DescentError } from './errors.js';\nexport const e = DescentError;\n")).toEqual([]);
    expect(await ruleIds('src/kernels/x.ts', "import { Tensor } from '../gpu/tensor.js';\nexport const t = Tensor;\n")).toEqual([]);
  });
});

describe('import cycles', () => {
  it('reports both files of a two-file cycle', async () => {
    const results = await eslint.lintFiles(['test/fixtures/lint/cycle/a.ts', 'test/fixtures/lint/cycle/b.ts']);
    expect(results.map((r) => [relative(root, r.filePath), r.messages.map((m) => m.ruleId)])).toEqual([
      ['test/fixtures/lint/cycle/a.ts', ['import-x/no-cycle']],
      ['test/fixtures/lint/cycle/b.ts', ['import-x/no-cycle']],
    ]);
  });

  it('ignores a cycle closed only by a type import, which the build erases', async () => {
    const results = await eslint.lintFiles(['test/fixtures/lint/type-only/c.ts', 'test/fixtures/lint/type-only/d.ts']);
    expect(results.flatMap((r) => r.messages)).toEqual([]);
  });
});

describe('test file names', () => {
  it('are kebab-case', () => {
    const files = readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const names = files.map((f) => f.split('/').pop()!);
    expect(names.filter((n) => !/^[a-z0-9]+(-[a-z0-9]+)*(\.test)?\.ts$/.test(n))).toEqual([]);
  });
});
