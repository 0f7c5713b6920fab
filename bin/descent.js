#!/usr/bin/env node
// The `descent` command: runs the bundled command line (dist/node/descent.js). An installed package runs the
// bundle it shipped with and never builds. A repository checkout (it has vite.config.ts and src/, which the
// package does not ship) builds the bundle first, and again whenever src/ or shaders/ changed since; for
// `descent bench` it builds the benchmark's bundle (dist/bench) the same way.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'node', 'descent.js');
const checkout = existsSync(join(root, 'vite.config.ts')) && existsSync(join(root, 'src', 'cli', 'main.ts'));

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build `file` with `vite build --mode <mode>` when it is missing or older than the sources. */
function ensureBuilt(file, mode) {
  const sources = ['src', 'shaders'].map((d) => join(root, d)).filter(existsSync);
  if (existsSync(file) && Math.max(...sources.map(newest)) <= statSync(file).mtimeMs) return;
  let vite;
  try {
    const pkg = createRequire(join(root, 'package.json')).resolve('vite/package.json');
    vite = join(dirname(pkg), 'bin', 'vite.js');
  } catch {
    console.error('descent: the command-line bundle is missing and vite is not installed to build it; run `npm ci` first.');
    process.exit(1);
  }
  execFileSync(process.execPath, [vite, 'build', '--mode', mode, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

if (checkout) {
  ensureBuilt(bundle, 'node');
  if (process.argv[2] === 'bench') ensureBuilt(join(root, 'dist', 'bench', 'bench.js'), 'bench');
} else if (!existsSync(bundle)) {
  console.error(`descent: ${bundle} is missing from the installed package; reinstall it (npm install descent).`);
  process.exit(1);
}
await import(pathToFileURL(bundle).href);
