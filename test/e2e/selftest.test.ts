// End-to-end: build the demo, serve it, open the kernel self-test page in headless Chromium and require every
// kernel case to pass on the browser's own WebGPU implementation (SwiftShader on a machine without a GPU).
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allKernelCases } from '../../src/index.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(repo, 'vite.config.ts');
const distDir = join(repo, 'demo-dist');
const resultsDir = join(repo, 'test-results');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * --enable-unsafe-webgpu is the one flag WebGPU needs here: without it Chromium blocklists every CPU adapter and
 * requestAdapter() returns null. With it, on a machine without a GPU, Chromium hands out SwiftShader (Vulkan) as
 * the fallback adapter, even when Mesa's lavapipe is installed and enumerated. The rest keep the run quiet and
 * hermetic; --no-sandbox because CI runs as root.
 */
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', ...BASE_ARGS];

/** The whole page run: every kernel case, each small, but on a CPU Vulkan driver. */
const RUN_TIMEOUT_MS = 240_000;

let server: PreviewServer | undefined;
let url = '';
const browsers: Browser[] = [];

async function launch(args: string[]): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  });
  browsers.push(browser);
  return browser;
}

/** Console errors and uncaught exceptions of a page, as lines. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.stack ?? err.message}`));
  return errors;
}

/** Wait for body[data-status], printing the summary line now and then so a slow run shows where it is. */
async function waitForStatus(page: Page, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const status = await page.evaluate(() => document.body.dataset.status ?? null);
    if (status) return status;
    if (Date.now() > deadline) {
      const summary = await page.locator('#summary-text').textContent();
      throw new Error(`the self-test page did not finish within ${timeoutMs / 1000} s; last summary: ${summary}`);
    }
    if (Date.now() - lastLog > 20_000) {
      lastLog = Date.now();
      console.log(`[e2e] ${await page.locator('#summary-text').textContent()}`);
    }
    await page.waitForTimeout(250);
  }
}

function screenshotPath(name: string): string {
  mkdirSync(resultsDir, { recursive: true });
  return join(resultsDir, name);
}

describe('demo: kernel self-test page in headless Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(
        `Chromium not found at ${chromiumPath}. Install it with \`bash scripts/install-system-deps.sh\` (as root), ` +
          'or point CHROMIUM_PATH at a Chromium/Chrome binary.',
      );
    }
    // Build it as `npm run build:demo` would; vitest runs with NODE_ENV=test, which would make a dev-flavoured bundle.
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ configFile, mode: 'demo', logLevel: 'warn' });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    server = await preview({
      configFile,
      mode: 'demo',
      logLevel: 'warn',
      preview: { port: 0, strictPort: false, host: '127.0.0.1', open: false },
    });
    url = server.resolvedUrls?.local[0] ?? '';
    if (!url) throw new Error('vite preview started but reported no local URL');
  }, 120_000);

  afterAll(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    await server?.close();
  });

  it('the built page does not bundle Dawn (the Node-only native module)', () => {
    const files = readdirSync(join(distDir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const code = readFileSync(join(distDir, 'assets', f), 'utf8');
      expect(code.includes('dawn.node'), `${f} references dawn.node`).toBe(false);
    }
  });

  it('runs every kernel case on the browser adapter, all matching the CPU reference', async () => {
    const browser = await launch(WEBGPU_ARGS);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    const t0 = Date.now();
    await page.goto(url);
    const status = await waitForStatus(page, RUN_TIMEOUT_MS);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    await page.screenshot({ path: screenshotPath('selftest.png'), fullPage: true });

    const adapter = await page.locator('#adapter-name').textContent();
    const features = await page.locator('#adapter-features .chip').allTextContents();
    console.log(`[e2e] browser WebGPU adapter: ${adapter} (${features.join(', ')}); page finished in ${seconds} s`);

    if (status !== 'done') {
      const why = (await page.locator('#no-webgpu, #fatal').allInnerTexts()).join('\n').trim();
      throw new Error(`self-test page ended with status '${status}': ${why}\n${errors.join('\n')}`);
    }
    const body = await page.evaluate(() => ({ ...document.body.dataset }));
    const rows = page.locator('#case-rows tr');
    const rowCount = await rows.count();
    const failures = await page.locator('#case-rows tr.row-fail').evaluateAll((trs) =>
      trs.map((tr) => (tr as HTMLElement).title || (tr as HTMLElement).innerText),
    );
    const expected = allKernelCases().length;

    expect(failures, `failing cases:\n${failures.join('\n')}`).toEqual([]);
    expect(body.failed).toBe('0');
    expect(Number(body.passed)).toBe(rowCount);
    expect(rowCount).toBe(expected);
    expect(await page.locator('#case-rows tr.row-pass').count()).toBe(expected);
    expect(await page.locator('#summary-text').textContent()).toBe(`${expected}/${expected} passed`);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 300_000);

  it('without WebGPU, explains how to enable it', async () => {
    // Without --enable-unsafe-webgpu Chromium blocklists the CPU adapters: navigator.gpu exists, no adapter.
    const browser = await launch(BASE_ARGS);
    const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
    const errors = collectErrors(page);
    await page.goto(url);
    expect(await waitForStatus(page, 30_000)).toBe('no-webgpu');
    await page.screenshot({ path: screenshotPath('selftest-no-webgpu.png'), fullPage: true });
    const panel = page.locator('#no-webgpu');
    expect(await panel.isVisible()).toBe(true);
    expect(await panel.innerText()).toContain('--enable-unsafe-webgpu');
    expect(await page.locator('#run').isVisible()).toBe(false);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 60_000);
});
