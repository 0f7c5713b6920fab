// The examples in examples/, each installed from the packed tarball into a project outside the repository and
// run end to end: the Node script trains, saves, reloads and compares; the Vite app is built and opened in
// headless Chromium, where it trains in a Web Worker and draws the loss on a canvas.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshProject, linkPeer, npmInstall, packTarball, repo, sh } from './package-pack.js';
import { WEBGPU_ARGS, collectErrors, screenshotPath } from './e2e/browser.js';

let tgz: string;
beforeAll(() => {
  tgz = packTarball();
}, 240_000);

/**
 * examples/<name> copied into a fresh project with descent from the tarball; the dependencies it lists in `link`
 * (webgpu, vite) come from this checkout instead of a second download, at the versions it asks for.
 */
function installExample(name: string, link: string[]): string {
  const dir = freshProject(name);
  cpSync(join(repo, 'examples', name), dir, { recursive: true });
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  expect(pkg.dependencies?.descent).toBeDefined();
  pkg.dependencies!.descent = `file:${tgz}`;
  for (const dep of link) {
    const wanted = pkg.dependencies?.[dep] ?? pkg.devDependencies?.[dep];
    const ours = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[dep];
    expect(wanted, `examples/${name} should ask for ${dep} as this repository does`).toBe(ours);
    delete pkg.dependencies?.[dep];
    delete pkg.devDependencies?.[dep];
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  npmInstall(dir, []);
  for (const dep of link) linkPeer(dir, dep);
  return dir;
}

describe('examples/node-checkpoint', () => {
  let dir: string;
  beforeAll(() => {
    dir = installExample('node-checkpoint', ['webgpu']);
  }, 120_000);

  it('trains, saves a checkpoint, reloads it and predicts the same logits', () => {
    const out = sh('node', ['train.js', join(dir, 'moons.safetensors')], dir)
      .trim()
      .split('\n');
    expect(out.some((l) => /^epoch 20: loss [\d.]+/.test(l))).toBe(true);
    const summary = JSON.parse(out.at(-1)!) as { accuracy: number; reloadedAccuracy: number; samePredictions: boolean };
    expect(summary.samePredictions).toBe(true);
    expect(summary.reloadedAccuracy).toBe(summary.accuracy);
    // Two moons: chance is 50%.
    expect(summary.accuracy).toBeGreaterThan(0.8);
  }, 120_000);

  it('runs the installed descent command on the GPU', () => {
    const out = sh('node', [join(dir, 'node_modules', '.bin', 'descent'), 'train', '--dataset', 'xor', '--hidden', '16', '--epochs', '3', '--quiet'], dir);
    expect(out).toMatch(/test accuracy [\d.]+%/);
  }, 120_000);
});

describe('examples/vite-worker', () => {
  let dir: string;
  let server: PreviewServer;
  let browser: Browser;
  beforeAll(async () => {
    dir = installExample('vite-worker', ['vite']);
    sh('node', [join(dir, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], dir, { ...process.env, NODE_ENV: 'production' });
    server = await preview({ root: dir, configFile: join(dir, 'vite.config.js'), logLevel: 'warn', preview: { port: 0, host: '127.0.0.1', open: false } });
  }, 180_000);
  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.close();
  });

  it('type-checks strictly against the installed package', () => {
    expect(sh('node', [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir)).toBe('');
  }, 120_000);

  it('trains in a Web Worker, reports progress and draws the loss', async () => {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: WEBGPU_ARGS });
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(server.resolvedUrls!.local[0]!);
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.status ?? ''), null, { timeout: 150_000, polling: 250 });
    await page.screenshot({ path: screenshotPath('example-vite-worker.png') });
    const status = await page.textContent('#status');
    expect(await page.evaluate(() => document.body.dataset.status), status ?? '').toBe('done');
    expect(errors).toEqual([]);
    // Three spiral arms: chance is 33%.
    expect(Number(/accuracy ([\d.]+)%/.exec(status ?? '')?.[1])).toBeGreaterThan(60);
    const inked = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#loss')!;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let blue = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 2]! > 150 && px[i]! < 100 && px[i + 3]! > 0) blue++;
      return blue;
    });
    // The loss line, not just the frame.
    expect(inked).toBeGreaterThan(200);
  }, 180_000);
});
