// Lint is about structure, not style (Prettier owns style): TypeScript parsing, no import cycles, and the layering
// of DESIGN.md enforced per folder. test/lint.test.ts proves each rule still bites.
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** A no-restricted-imports pattern: relative imports that climb into one of `folders`, with why they are banned. */
const banFolders = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|\\.js$|$)`, message });

/** The public entry re-exports every layer, so importing it from a low layer would bypass the folder bans. */
const banIndex = { regex: '^(\\.\\./)+index(\\.js)?$', message: 'a low layer may not import the public entry, which pulls in every layer' };

/** One config block restricting what the files under `folder` may import. */
const layer = (folder, patterns) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  {
    // Build outputs, vendored bundles, and the planted cycle that test/lint.test.ts lints on purpose.
    ignores: ['dist/**', 'demo-dist/**', 'node_modules/**', 'test-results/**', 'test/.readme/**', 'scratch/**', 'docs/**', 'test/fixtures/lint/**'],
  },
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { 'import-x': importX },
    settings: {
      // Without these, import-x skips .ts files when it follows imports, and no-cycle sees no cycle.
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    // no-cycle skips type-only imports: they are erased at build time and form no run-time cycle.
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  layer('gpu', [
    banFolders(['kernels', 'scheduler', 'train', 'optim', 'nn', 'bench'], 'gpu/ knows no kernel and nothing above it (DESIGN.md, Layering)'),
    banIndex,
  ]),
  ...['reference', 'nn'].map((folder) =>
    layer(folder, [
      banFolders(['gpu', 'kernels', 'scheduler', 'train', 'bench'], `${folder}/ imports no GPU code: only leaf vocabulary from core/ (DESIGN.md, Layering)`),
      banIndex,
    ]),
  ),
  layer('core', [{ regex: '^\\.\\./', message: 'core/ is leaf vocabulary: it imports nothing from the project outside src/core' }]),
);
