// End-to-end: the Convolutions lab in headless Chromium (SwiftShader WebGPU). The page loads MNIST and builds a
// CNN and an MLP; training advances both; the first layer's filters are drawn and change as it learns; a digit
// drawn on the pad gets ten probabilities from each model. UPDATE_SCREENSHOTS=1 also writes docs/screenshots/conv.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const docsShot = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'screenshots', 'conv.png');
const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';

let demo: Demo;

/** The filters canvas's pixels, and how many times it was drawn. */
const filterPixels = (page: Page) =>
  page.evaluate(() => {
    const c = document.getElementById('filters') as HTMLCanvasElement;
    return { draws: Number(c.dataset.draws ?? 0), pixels: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
  });

const stepsOf = (page: Page) =>
  page.evaluate(() => ({ cnn: Number(document.getElementById('stats')!.dataset.steps), mlp: Number(document.getElementById('stats')!.dataset.mlpSteps) }));

/** Probabilities shown by a #probs-* element (empty when none). */
const probsOf = (page: Page, id: string) =>
  page.evaluate((i) => (document.getElementById(i)!.dataset.probabilities ?? '').split(',').filter(Boolean).map(Number), id);

describe('demo: Convolutions lab in headless Chromium', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it('trains a CNN beside an MLP, draws its filters as they change, and reads a drawn digit with both', async () => {
    const t0 = Date.now();
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors = collectErrors(page);
    await page.goto(new URL('conv.html', demo.url).href);
    expect(await waitForStatus(page, ['ready'], 120_000)).toBe('ready');
    await page.waitForFunction(() => Number((document.getElementById('filters') as HTMLElement).dataset.draws) >= 1, undefined, { timeout: 30_000 });
    const before = await filterPixels(page);
    const tReady = Date.now();

    await page.click('#start');
    expect(await waitForStatus(page, ['running'], 10_000)).toBe('running');
    const target = updateDocs ? 300 : 60;
    await page.waitForFunction((n) => Number(document.getElementById('stats')?.dataset.steps) >= n, target, { timeout: 240_000, polling: 250 });
    // A read-back while training went on: drawn again without a pause.
    await page.waitForFunction((n) => Number((document.getElementById('filters') as HTMLElement).dataset.draws) > n, before.draws, { timeout: 60_000 });
    const during = await filterPixels(page);
    await page.click('#pause');
    expect(await waitForStatus(page, ['done'], 60_000)).toBe('done');
    const after = await filterPixels(page);
    const steps = await stepsOf(page);
    expect(steps.cnn).toBeGreaterThanOrEqual(target);
    expect(steps.mlp).toBeGreaterThan(0);
    expect(during.draws).toBeGreaterThan(before.draws);
    expect(after.pixels).toHaveLength(before.pixels.length);
    const changed = after.pixels.filter((v, i) => v !== before.pixels[i]).length;
    expect(changed).toBeGreaterThan(0);
    // Not one flat colour: the filters have positive and negative weights.
    expect(new Set(after.pixels).size).toBeGreaterThan(10);
    const lossPoints = Number(await page.locator('#loss-chart').getAttribute('data-points'));
    expect(lossPoints).toBeGreaterThan(0);

    // Draw a "7": both models answer with ten probabilities summing to 1, and the feature maps show the drawing.
    const mapsBefore = Number(await page.locator('#maps').getAttribute('data-draws'));
    const box = (await page.locator('#draw-pad').boundingBox())!;
    const at = (fx: number, fy: number): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    await page.mouse.move(...at(0.28, 0.22));
    await page.mouse.down();
    await page.mouse.move(...at(0.72, 0.22), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.82), { steps: 10 });
    await page.mouse.up();
    await page.waitForFunction(() => (document.getElementById('maps-source')?.textContent ?? '').includes('drawing'), undefined, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.waitForFunction(() => !!document.getElementById('probs-cnn')?.dataset.sum && !!document.getElementById('probs-mlp')?.dataset.sum, undefined, {
      timeout: 30_000,
    });
    const predicted: string[] = [];
    for (const id of ['probs-cnn', 'probs-mlp']) {
      const p = await probsOf(page, id);
      expect(p).toHaveLength(10);
      for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      predicted.push(`${p.indexOf(Math.max(...p))} (p = ${Math.max(...p).toFixed(2)})`);
    }
    expect(Number(await page.locator('#maps').getAttribute('data-draws'))).toBeGreaterThan(mapsBefore);
    console.log(
      `[e2e] conv: ${steps.cnn} CNN steps, ${steps.mlp} MLP steps; drawn 7 read as ${predicted.join(' by the CNN, ')} by the MLP; ${changed} filter pixels changed`,
    );
    await page.screenshot({ path: screenshotPath('conv.png') });
    if (updateDocs) {
      mkdirSync(join(docsShot, '..'), { recursive: true });
      await page.screenshot({ path: docsShot });
    }

    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

    expect(errors, errors.join('\n')).toEqual([]);
    console.log(`[e2e] conv: ready after ${((tReady - t0) / 1000).toFixed(1)} s, whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);
});
