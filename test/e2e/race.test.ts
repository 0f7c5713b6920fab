// End-to-end: the optimizer race in headless Chromium (SwiftShader WebGPU). Four optimizers race on the spiral
// for N steps: every row of the table is filled, every loss fell, the chart has one series per optimizer.
// UPDATE_SCREENSHOTS=1 races all eight default optimizers for 300 steps and writes docs/screenshots/race.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const docsShot = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'screenshots', 'race.png');
const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';
const RACERS = updateDocs ? ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw'] : ['sgd', 'momentum', 'rmsprop', 'adam'];
const N = updateDocs ? 300 : 150;

let demo: Demo;

describe('demo: optimizer race in headless Chromium', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it(`races ${RACERS.length} optimizers for ${N} steps on the spiral`, async () => {
    const t0 = Date.now();
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    await page.goto(new URL('race.html', demo.url).href);
    expect(await waitForStatus(page, ['ready'], 30_000)).toBe('ready');

    await page.selectOption('#dataset', 'spiral');
    for (const box of await page.locator('#optimizers input[type=checkbox]').all()) {
      const id = (await box.getAttribute('id'))!.replace(/^use-/, '');
      await box.setChecked(RACERS.includes(id));
    }
    await page.fill('#steps', String(N));
    await page.fill('#batch', '32');
    await page.click('#start');
    const status = await waitForStatus(page, ['done'], 90_000, () => page.locator('#progress').textContent());
    const raceSeconds = (Date.now() - t0) / 1000;
    expect(status, errors.join('\n')).toBe('done');

    const rows = await page.locator('#race-rows tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return {
          id: d.optimizer!,
          steps: Number(d.steps),
          initial: Number(d.initialLoss),
          loss: Number(d.loss),
          accuracy: Number(d.accuracy),
          ms: Number(d.ms),
          text: (tr as HTMLElement).innerText.replace(/\s+/g, ' '),
        };
      }),
    );
    for (const r of rows) console.log(`[e2e] race: ${r.text}`);
    expect(rows.map((r) => r.id)).toEqual(RACERS);
    for (const r of rows) {
      expect(r.steps, r.id).toBe(N);
      expect(r.loss, r.id).toBeLessThan(r.initial);
      expect(r.accuracy, r.id).toBeGreaterThan(0.4);
      expect(r.ms, r.id).toBeGreaterThan(0);
    }
    const chart = await page.locator('#race-chart').evaluate((e) => ({ ...(e as HTMLElement).dataset }));
    expect(Number(chart.series)).toBe(RACERS.length);
    expect(Number(chart.points)).toBe(N);
    // Each series is drawn: uPlot's legend lists one entry per optimizer after the x axis.
    expect(await page.locator('#race-chart .u-legend .u-series').count()).toBe(RACERS.length + 1);

    await page.screenshot({ path: screenshotPath('race.png') });
    if (updateDocs) {
      mkdirSync(join(docsShot, '..'), { recursive: true });
      await page.screenshot({ path: docsShot });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: screenshotPath('race-phone.png'), fullPage: true });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors, errors.join('\n')).toEqual([]);
    console.log(`[e2e] race: finished in ${raceSeconds.toFixed(1)} s after loading the page`);
  }, 150_000);
});
