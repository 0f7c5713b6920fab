#!/usr/bin/env node
// The `descent` command: runs the bundled command line (dist/node/descent.js). From a source checkout it
// builds that bundle first, and again whenever src/ or shaders/ changed since.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'node', 'descent.js');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = ['src', 'shaders'].map((d) => join(root, d)).filter(existsSync);
const stale = !existsSync(bundle) || (sources.length > 0 && Math.max(...sources.map(newest)) > statSync(bundle).mtimeMs);
if (stale) {
  let vite;
  try {
    const pkg = createRequire(join(root, 'package.json')).resolve('vite/package.json');
    vite = join(dirname(pkg), 'bin', 'vite.js');
  } catch {
    console.error('descent: the command-line bundle is missing and vite is not installed to build it; run `npm ci` first.');
    process.exit(1);
  }
  execFileSync(process.execPath, [vite, 'build', '--mode', 'node', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}
await import(pathToFileURL(bundle).href);
