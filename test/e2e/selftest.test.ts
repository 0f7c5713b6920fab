// End-to-end: build the demo, serve it, open the kernel self-test page in headless Chromium and require every
// kernel case to pass on the browser's own WebGPU implementation (SwiftShader on a machine without a GPU).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allKernelCases } from '../../src/index.js';
import { BASE_ARGS, collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

/**
 * The whole page run: every kernel case (about 880), each small, but on a CPU Vulkan driver that compiles every pipeline
 * anew: 210-240 s while the rest of the suite shares the machine, so 3x that.
 */
const RUN_TIMEOUT_MS = 750_000;

let demo: Demo;

describe('demo: kernel self-test page in headless Chromium', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it('the built page does not bundle Dawn (the Node-only native module)', () => {
    const files = readdirSync(join(demo.dir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const code = readFileSync(join(demo.dir, 'assets', f), 'utf8');
      expect(code.includes('dawn.node'), `${f} references dawn.node`).toBe(false);
    }
  });

  it(
    'runs every kernel case on the browser adapter, all matching the CPU reference',
    async () => {
      const browser = await demo.launch();
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = collectErrors(page);
      const t0 = Date.now();
      await page.goto(new URL('selftest.html', demo.url).href);
      const status = await waitForStatus(page, ['done'], RUN_TIMEOUT_MS, () => page.locator('#summary-text').textContent());
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
      const failures = await page
        .locator('#case-rows tr.row-fail')
        .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).title || (tr as HTMLElement).innerText));
      const expected = allKernelCases().length;

      expect(failures, `failing cases:\n${failures.join('\n')}`).toEqual([]);
      expect(body.failed).toBe('0');
      expect(Number(body.passed)).toBe(rowCount);
      expect(rowCount).toBe(expected);
      expect(await page.locator('#case-rows tr.row-pass').count()).toBe(expected);
      expect(await page.locator('#summary-text').textContent()).toBe(`${expected}/${expected} passed`);
      expect(errors, errors.join('\n')).toEqual([]);
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  it('without WebGPU, explains how to enable it', async () => {
    // Without --enable-unsafe-webgpu Chromium blocklists the CPU adapters: navigator.gpu exists, no adapter.
    const browser = await demo.launch(BASE_ARGS);
    const page = await browser.newPage({ viewport: { width: 1280, height: 600 } });
    const errors = collectErrors(page);
    await page.goto(new URL('selftest.html', demo.url).href);
    expect(await waitForStatus(page, ['no-webgpu'], 30_000)).toBe('no-webgpu');
    await page.screenshot({ path: screenshotPath('selftest-no-webgpu.png'), fullPage: true });
    const panel = page.locator('#no-webgpu');
    expect(await panel.isVisible()).toBe(true);
    expect(await panel.innerText()).toContain('--enable-unsafe-webgpu');
    expect(await page.locator('#run').isVisible()).toBe(false);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 60_000);
});
