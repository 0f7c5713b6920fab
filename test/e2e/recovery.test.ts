// End-to-end: a page in headless Chromium (SwiftShader WebGPU) trains a small network and destroys its GPU device
// in the middle of fit; training goes on on a new device and completes. The page is the library bundled alone
// (test/e2e/recovery-page.ts), not the demo, so the test stays small.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { settle } from '../helpers/settle.js';
import { chromium } from 'playwright-core';
import { collectErrors, WEBGPU_ARGS } from './browser.js';
import type { RecoveryReport } from './recovery-page.js';

const entry = fileURLToPath(new URL('./recovery-page.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'descent-recovery-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a lost device in the browser', () => {
  it('a page whose device is destroyed mid-fit sees training complete on a new device', { timeout: 180_000 }, async () => {
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({
        configFile: false,
        logLevel: 'warn',
        build: { outDir: dir, emptyOutDir: true, minify: false, lib: { entry, formats: ['es'], fileName: 'page' }, rollupOptions: { external: ['webgpu'] } },
      });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: WEBGPU_ARGS,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    });
    try {
      const page = await browser.newPage();
      const errors = collectErrors(page);
      // Served from localhost (a secure context, which WebGPU needs) by the page's own router: no server to start.
      const script = readFileSync(join(dir, 'page.js'), 'utf8');
      await page.route('http://localhost/**', (route) =>
        route.request().url().endsWith('/page.js')
          ? route.fulfill({ body: script, contentType: 'text/javascript' })
          : route.fulfill({ body: '<!doctype html><script type="module" src="/page.js"></script>', contentType: 'text/html' }),
      );
      await page.goto('http://localhost/');
      await page.waitForFunction(() => 'descentRecovery' in globalThis, undefined, { timeout: 10_000 });
      const r = await settle(
        page.evaluate(() => (globalThis as unknown as { descentRecovery: () => Promise<RecoveryReport> }).descentRecovery()),
        120_000,
        'the page fit with a lost device',
      );
      expect(r.error).toBeUndefined();
      const rep = r.value!;
      console.log(
        `[e2e] recovery: device destroyed after step ${rep.injectedAt}, restored step ${rep.restoredStep}, ${rep.repeatedSteps} steps repeated, ${rep.steps} steps in all`,
      );
      expect(rep.injectedAt).toBeGreaterThanOrEqual(8);
      expect(rep.lostReason).toMatch(/device was lost/);
      expect(rep.recoveries).toBe(1);
      expect(rep.restoredStep % 4).toBe(0);
      expect(rep.steps).toBe(24);
      expect(rep.epochs).toEqual([0, 1, 2, 3]);
      expect(rep.paramsFinite).toBe(true);
      expect(Number.isFinite(rep.finalLoss)).toBe(true);
      expect(errors.filter((e) => !/device|lost|destroyed/i.test(e))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
