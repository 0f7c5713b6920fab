// Shared by the end-to-end tests: build the demo once per test file, serve it, drive headless Chromium with
// WebGPU (SwiftShader on a machine without a GPU), collect console errors, save screenshots.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const configFile = join(repo, 'vite.config.ts');
const resultsDir = join(repo, 'test-results');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * --enable-unsafe-webgpu is the one flag WebGPU needs here: without it Chromium blocklists every CPU adapter and
 * requestAdapter() returns null. With it, on a machine without a GPU, Chromium hands out SwiftShader (Vulkan) as
 * the fallback adapter. The rest keep the run quiet and hermetic; --no-sandbox because CI runs as root.
 */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu', ...BASE_ARGS];

export interface Demo {
  url: string;
  /** Where this test file's build of the demo is (its own folder, so test files can run side by side). */
  dir: string;
  close(): Promise<void>;
  launch(args?: string[]): Promise<Browser>;
}

/** Build the demo as `npm run build:demo` does, serve it with vite preview, and hand out browsers. */
export async function startDemo(): Promise<Demo> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}. Install it with \`bash scripts/install-system-deps.sh\` (as root), ` +
        'or point CHROMIUM_PATH at a Chromium/Chrome binary.',
    );
  }
  // vitest runs with NODE_ENV=test, which would make a dev-flavoured bundle.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  const dir = mkdtempSync(join(tmpdir(), 'descent-demo-'));
  try {
    await build({ configFile, mode: 'demo', logLevel: 'warn', build: { outDir: dir, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  const server: PreviewServer = await preview({
    configFile,
    mode: 'demo',
    logLevel: 'warn',
    build: { outDir: dir },
    preview: { port: 0, strictPort: false, host: '127.0.0.1', open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? '';
  if (!url) throw new Error('vite preview started but reported no local URL');
  const browsers: Browser[] = [];
  return {
    url,
    dir,
    async launch(args = WEBGPU_ARGS) {
      const b = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args,
        env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
      });
      browsers.push(b);
      return b;
    },
    async close() {
      for (const b of browsers) await b.close().catch(() => {});
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught exceptions of a page, as lines. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.stack ?? err.message}`));
  return errors;
}

/** Wait until body[data-status] is one of `statuses` (or 'error' / 'no-webgpu', which end the wait too). */
export async function waitForStatus(page: Page, statuses: string[], timeoutMs: number, progress?: () => Promise<string | null>): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const status = await page.evaluate(() => document.body.dataset.status ?? null);
    if (status && (statuses.includes(status) || status === 'error' || status === 'no-webgpu')) return status;
    if (Date.now() > deadline) {
      throw new Error(`page status did not reach ${statuses.join(' / ')} within ${timeoutMs / 1000} s (now '${status}'; ${await progress?.()})`);
    }
    if (progress && Date.now() - lastLog > 20_000) {
      lastLog = Date.now();
      console.log(`[e2e] ${await progress()}`);
    }
    await page.waitForTimeout(250);
  }
}

/** Where a screenshot named `name` goes (test-results/, ignored by git). */
export function screenshotPath(name: string): string {
  mkdirSync(resultsDir, { recursive: true });
  return join(resultsDir, name);
}
