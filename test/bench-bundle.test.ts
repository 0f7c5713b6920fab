// `npm run bench:bundle` writes a folder that runs the benchmark on a machine without Node or npm. Here it is built,
// copied out of the repository, and run the way such a machine sees it: no `node` on PATH, no node_modules above
// it, only a shell, the unpackers and lavapipe as the Vulkan driver, with the bundled Vulkan loader forced on.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NoAdapterError } from '../src/core/errors.js';
import { acquireDevice } from '../src/gpu/device.js';
import { tuningKey } from '../src/kernels/autotune.js';
import { createRuntime } from '../src/runtime.js';

const repo = join(import.meta.dirname, '..');
const script = join(repo, 'scripts', 'bench-bundle.mjs');
const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.json';
const tmp = mkdtempSync(join(tmpdir(), 'descent-bench-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  out: string;
  seconds: number;
}

/** Run a command in its own process group, killed whole (the benchmark forks children) if it outlives `timeoutMs`. */
function run(cmd: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n[test] killed after ${o.timeoutMs} ms`;
      process.kill(-child.pid!, 'SIGKILL');
    }, o.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

const node = (args: string[], timeoutMs = 30_000) => run(process.execPath, args, { cwd: repo, env: process.env, timeoutMs });

// Dawn's instance is made once per process: this must run before anything in this file creates a runtime.
it('names DESCENT_WEBGPU_MODULE when the Dawn module it points at cannot be loaded', async () => {
  process.env.DESCENT_WEBGPU_MODULE = join(tmp, 'no-such-dir', 'webgpu.mjs');
  try {
    const err = await acquireDevice().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAdapterError);
    expect((err as Error).message).toContain(`DESCENT_WEBGPU_MODULE=${process.env.DESCENT_WEBGPU_MODULE}`);
  } finally {
    delete process.env.DESCENT_WEBGPU_MODULE;
  }
});

describe('bench:bundle', () => {
  it('refuses an --out folder that is not an earlier bundle, and an unknown option, before building anything', async () => {
    const mine = join(tmp, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'keep me');
    const r = await node([script, '--out', mine]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`--out ${mine} exists and is not an earlier bundle`);
    expect(readFileSync(join(mine, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(existsSync(`${mine}.partial`)).toBe(false);
    const bad = await node([script, '--compress=zip']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('--compress=zip: expected xz or gzip');
  });

  describe('the folder, copied off the repository and run without Node', () => {
    const built = join(tmp, 'built');
    // Outside the repository, and not under the build's own folder: what a user copies to the GPU machine.
    const copy = join(tmp, 'machine', 'descent-bench');
    const work = join(tmp, 'machine', 'work');
    const bin = join(tmp, 'machine', 'bin');
    const cache = join(tmp, 'machine', 'cache');
    let build: Ran;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      // gzip -1: about 5 s here against a minute for the default xz -6 of the Node binary; run.sh unpacks both alike.
      build = await node([script, '--out', built, '--compress=gzip', '--level=1'], 240_000);
      if (build.code !== 0) return;
      cpSync(built, copy, { recursive: true });
      mkdirSync(work, { recursive: true });
      // Only what run.sh and dpkg-deb call: a shell, the unpackers and a few file tools. No node.
      mkdirSync(bin, { recursive: true });
      for (const tool of ['sh', 'mkdir', 'chmod', 'mv', 'rm', 'gzip', 'xz', 'tar', 'dpkg-deb']) {
        const p = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        if (p) symlinkSync(p, join(bin, tool));
      }
      // A first matmul tuning takes minutes on lavapipe; a machine that has tuned before skips it, and so does this
      // run: the untuned defaults are stored under the key the bundle (built from these same shaders) will look up.
      const rt = await createRuntime();
      const key = tuningKey(rt);
      rt.destroy();
      mkdirSync(join(cache, 'descent'), { recursive: true });
      writeFileSync(join(cache, 'descent', 'tuning.json'), JSON.stringify({ [key]: { key, choices: {}, measurements: [], measuredAt: 'stored by the test' } }));
      env = {
        PATH: bin,
        HOME: join(tmp, 'machine'),
        XDG_CACHE_HOME: cache,
        VK_ICD_FILENAMES: LAVAPIPE,
        DESCENT_VULKAN_LOADER: 'bundled',
        // Mesa's compiled shaders, shared with the rest of the suite (a cold cache adds about 30 s of LLVM here):
        // a driver's cache, not something the folder provides.
        MESA_SHADER_CACHE_DIR: process.env.MESA_SHADER_CACHE_DIR ?? process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
      };
    }, 300_000);

    it('builds one folder under the size limit with everything run.sh needs', () => {
      expect(build.code, build.out).toBe(0);
      console.log(`[bench-bundle] build took ${build.seconds.toFixed(0)} s: ${/wrote .*/.exec(build.out)?.[0]}`);
      for (const f of ['run.sh', 'README.txt', 'bench.mjs', 'node.gz', 'dawn/webgpu.mjs', 'dawn/dawn.node.gz'])
        expect(existsSync(join(built, f)), f).toBe(true);
      expect(spawnSync('sh', ['-c', `ls ${built}/vulkan/libvulkan1_*.deb`]).status, 'the Vulkan loader package').toBe(0);
      expect(readFileSync(join(built, 'README.txt'), 'utf8').trim().split('\n')).toHaveLength(3);
      // The limit's check, on the folder just built, with a limit it cannot meet.
      const over = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', `const { checkSize } = await import(${JSON.stringify(script)}); checkSize(${JSON.stringify(built)}, 1e6);`],
        { encoding: 'utf8' },
      );
      expect(over.status).not.toBe(0);
      expect(over.stderr).toMatch(/is \d+\.\d MB, over the 1\.0 MB limit \(largest: node\.gz/);
    });

    it('runs the matmul suite on lavapipe with no node on PATH and no node_modules above it: real figures for Descent and a peer', async () => {
      expect(build.code, build.out).toBe(0);
      for (let d = copy; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules')), `${d}/node_modules`).toBe(false);
      expect(spawnSync('sh', ['-c', 'command -v node'], { env }).status, 'node must not be on PATH').not.toBe(0);

      const help = await run(join(copy, 'run.sh'), ['--help'], { cwd: work, env, timeoutMs: 60_000 });
      expect(help.code, help.out).toBe(0);
      expect(help.out).toContain('run.sh: unpacking node.gz (once)');
      expect(help.out).toContain('run.sh: unpacking dawn/dawn.node.gz (once)');
      expect(help.out).toContain('--suite=');

      const r = await run(join(copy, 'run.sh'), ['--suite=matmul', '--sizes=64', '--timeout=240'], { cwd: work, env, timeoutMs: 360_000 });
      console.log(`[bench-bundle] ./run.sh --suite=matmul --sizes=64 took ${r.seconds.toFixed(0)} s`);
      expect(r.code, r.out).toBe(0);
      expect(r.out, 'unpacked once, by the first run').not.toContain('unpacking');
      expect(r.out).toContain(`run.sh: Vulkan loader: bundled (${copy}/lib/vulkan/`);
      expect(r.out).toContain(`run.sh: Vulkan driver (ICD): ${LAVAPIPE} (VK_ICD_FILENAMES, as given)`);
      expect(r.out).toMatch(/run\.sh: adapter: .*llvmpipe/);

      // The table's row for n = 64: every Descent column a real figure.
      const header = r.out.split('\n').find((l) => /^ size\s+naive/.test(l));
      const row = r.out.split('\n').find((l) => /^\s+64\s+\d/.test(l));
      expect(header, r.out).toBeDefined();
      expect(row, r.out).toBeDefined();
      const columns = header!.trim().split(/\s{2,}/);
      const cells = row!.trim().split(/\s+/);
      const descentCells = cells.slice(1, columns.indexOf('auto, wall') + 1).map(Number);
      expect(descentCells.length).toBeGreaterThan(5);
      for (const v of descentCells) expect(v, row).toBeGreaterThan(0);

      // The JSON lands where `npm run bench` puts it: bench-results.json in the working directory.
      const report = JSON.parse(readFileSync(join(work, 'bench-results.json'), 'utf8')) as {
        adapter: string;
        peers: { name: string; error?: string; status?: string }[];
        matmul: { kernel: string; gflops: number; peers: Record<string, number>; peerErrors?: Record<string, string> }[];
        parts: { system: string; status: string; detail?: string }[];
      };
      expect(report.adapter).toMatch(/llvmpipe/);
      const auto = report.matmul.find((m) => m.kernel.startsWith('auto') && !m.kernel.includes('^T') && !m.kernel.includes('+'))!;
      expect(auto.gflops).toBeGreaterThan(0);
      const failed: string[] = [];
      for (const name of ['tfjs', 'jax']) {
        if ((auto.peers[name] ?? 0) > 0) continue;
        // A peer without a figure must say why, in the report and in this test's output.
        const why = report.peers.find((p) => p.name === name)?.error ?? auto.peerErrors?.[name] ?? report.parts.find((p) => p.system === name)?.detail;
        expect(why, `${name} has no figure and no reason`).toBeTruthy();
        failed.push(`${name}: ${why}`);
      }
      if (failed.length) console.warn(`[bench-bundle] peers without figures: ${failed.join('; ')}`);
      expect(failed.length, `no peer produced a figure: ${failed.join('; ')}`).toBeLessThan(2);
    }, 480_000);
  });
});
