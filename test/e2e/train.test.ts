// End-to-end: the Train lab in headless Chromium (SwiftShader WebGPU). Trains the spiral and checks that the
// loss falls, the curves and the decision boundary are drawn and the speed is shown; then MNIST: predictions on
// the test digits, and a digit drawn with the mouse gets ten probabilities that sum to 1.
// UPDATE_SCREENSHOTS=1 also writes docs/screenshots/train.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const docsShot = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'screenshots', 'train.png');
const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';

let demo: Demo;

/** Wait until the network for `dataset` is built and idle. */
async function waitBuilt(page: Page, dataset: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    (d) => document.getElementById('stats')?.dataset.built === d && ['ready', 'error'].includes(document.body.dataset.status ?? ''),
    dataset,
    { timeout: timeoutMs, polling: 100 },
  );
  expect(await page.evaluate(() => document.body.dataset.status)).toBe('ready');
}

/** Train until at least `steps` steps were submitted, then pause and wait for the metrics to arrive. */
async function trainSteps(page: Page, steps: number, timeoutMs: number): Promise<void> {
  await page.click('#start');
  await waitForStatus(page, ['running'], 5_000);
  await page.waitForFunction((n) => Number(document.getElementById('stats')?.dataset.steps) >= n, steps, { timeout: timeoutMs, polling: 100 });
  await page.click('#pause');
  await waitForStatus(page, ['done'], 20_000);
}

const stat = (page: Page, key: string) => page.evaluate((k) => document.getElementById('stats')!.dataset[k] ?? '', key);

describe('demo: Train lab in headless Chromium', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it('trains the spiral and MNIST live, and reads a drawn digit', async () => {
    const t0 = Date.now();
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    // MNIST's IDX files: none fetched before MNIST is picked, then only the bytes of the prefixes used.
    const idxFetches: string[] = [];
    page.on('response', (r) => {
      if (/ubyte/.test(r.url())) idxFetches.push(`${r.url().replace(/^.*\/assets\/|-[\w-]{8}\.?$/g, '')} ${r.status()} ${r.headers()['content-length']}`);
    });
    await page.goto(new URL('train.html', demo.url).href);
    await waitBuilt(page, 'spiral', 60_000);
    const tReady = Date.now();

    // Spiral, 2 x 16 tanh, Adam, mini-batches of 32 (the page's defaults).
    await trainSteps(page, updateDocs ? 600 : 220, 60_000);
    const first = Number(await stat(page, 'firstLoss'));
    const last = Number(await stat(page, 'lastLoss'));
    const delivered = Number(await stat(page, 'delivered'));
    const spiralRate = await page.locator('#steps-per-second').textContent();
    const lossPoints = Number(await page.locator('#loss-chart').getAttribute('data-points'));
    const accPoints = Number(await page.locator('#acc-chart').getAttribute('data-points'));
    // The boundary canvas: drawn more than once, and not one flat colour (regions of several classes).
    const boundary = await page.evaluate(() => {
      const c = document.getElementById('boundary') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < d.length; i += 4 * 37) colours.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return { draws: Number(c.dataset.draws), colours: colours.size };
    });
    console.log(`[e2e] train/spiral: ${delivered} steps, loss ${first.toFixed(3)} -> ${last.toFixed(3)}, ${spiralRate} steps/s shown`);
    expect(delivered).toBeGreaterThanOrEqual(200);
    expect(last).toBeLessThan(first * 0.8);
    expect(lossPoints).toBeGreaterThanOrEqual(200);
    expect(accPoints).toBeGreaterThanOrEqual(200);
    expect(boundary.draws).toBeGreaterThan(1);
    expect(boundary.colours).toBeGreaterThan(20);
    expect(Number(spiralRate)).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath('train-spiral.png') });
    if (updateDocs) {
      mkdirSync(join(docsShot, '..'), { recursive: true });
      await page.screenshot({ path: docsShot });
    }

    // MNIST: 784 -> 64 ReLU -> 10 (the preset for digits), Adam, batches of 32.
    expect(idxFetches).toEqual([]);
    await page.selectOption('#dataset', 'mnist');
    await waitBuilt(page, 'mnist', 60_000);
    await trainSteps(page, 60, 60_000);
    expect(idxFetches.sort()).toEqual([
      `t10k-images-idx3-ubyte 206 ${16 + 2000 * 784}`,
      `t10k-labels-idx1-ubyte 206 ${8 + 2000}`,
      `train-images-idx3-ubyte 206 ${16 + 8000 * 784}`,
      `train-labels-idx1-ubyte 206 ${8 + 8000}`,
    ]);
    const mnistRate = await page.locator('#steps-per-second').textContent();
    const samplesRate = await page.locator('#samples-per-second').textContent();
    const grid = await page.locator('#digit-grid').evaluate((e) => ({ ...(e as HTMLElement).dataset }));
    expect(grid.predicted).toBe('24');
    expect(await page.locator('#digit-grid figcaption').evaluateAll((f) => f.filter((x) => /^\d$/.test(x.textContent ?? '')).length)).toBe(24);

    // Draw a "7": a bar across the top, then a stroke down to the lower left.
    const box = (await page.locator('#draw-pad').boundingBox())!;
    const at = (fx: number, fy: number): [number, number] => [box.x + fx * box.width, box.y + fy * box.height];
    await page.mouse.move(...at(0.28, 0.22));
    await page.mouse.down();
    await page.mouse.move(...at(0.72, 0.22), { steps: 8 });
    await page.mouse.move(...at(0.45, 0.82), { steps: 10 });
    await page.mouse.up();
    await page.waitForFunction(() => document.getElementById('probs')?.dataset.sum !== undefined, undefined, { timeout: 20_000 });
    const probs = await page.locator('#probs').evaluate((e) => ({ ...(e as HTMLElement).dataset }));
    const p = probs.probabilities!.split(',').map(Number);
    expect(p).toHaveLength(10);
    for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    const steps = await stat(page, 'delivered');
    console.log(
      `[e2e] train/mnist: ${steps} steps of batch 32, ${mnistRate} steps/s (${samplesRate} samples/s) shown; ` +
        `test digits right ${grid.correct}/24; drawn 7 read as ${probs.predicted} (p = ${p[Number(probs.predicted)]!.toFixed(3)})`,
    );
    await page.screenshot({ path: screenshotPath('train-mnist.png') });

    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: screenshotPath('train-phone.png'), fullPage: true });
    expect(overflow).toBeLessThanOrEqual(0);

    expect(errors, errors.join('\n')).toEqual([]);
    console.log(`[e2e] train: ready after ${((tReady - t0) / 1000).toFixed(1)} s, whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 180_000);
});
