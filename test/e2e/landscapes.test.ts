// End-to-end: the loss-landscape lab in headless Chromium (WebGPU on SwiftShader). Pick Rosenbrock and three
// optimizers, click a start point on the contour map, and check that every path was computed on the GPU,
// went downhill unless it diverged, and reached the chart. UPDATE_SCREENSHOTS=1 also refreshes
// docs/screenshots/landscapes.png.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/landscapes.png', import.meta.url));

let demo: Demo;

interface Row {
  optimizer: string;
  points: number;
  startF: number;
  finalF: number;
  diverged: boolean;
}

const readRows = (page: Page): Promise<Row[]> =>
  page.locator('#path-rows tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return { optimizer: d.optimizer!, points: Number(d.points), startF: Number(d.startF), finalF: Number(d.finalF), diverged: d.diverged === 'true' };
    }),
  );

/** Wait for a run that started after `before` runs had finished. */
async function waitForRun(page: Page, before: number): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.run ?? 0) > n && document.body.dataset.status !== 'running', before, { timeout: 40_000 });
  expect(await waitForStatus(page, ['done'], 1_000)).toBe('done');
}

describe('demo: loss landscapes lab', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it('animates GPU-computed optimizer paths from a clicked start point on Rosenbrock', async () => {
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    const t0 = Date.now();
    await page.goto(new URL('landscapes.html', demo.url).href);
    // The page runs its default paths as soon as it has a GPU.
    expect(await waitForStatus(page, ['done'], 40_000, () => page.locator('#run-status').textContent())).toBe('done');

    await page.selectOption('#surface', 'rosenbrock');
    const wanted = ['sgd', 'momentum', 'adam', 'rmsprop'];
    for (const box of await page.locator('#optimizer-list input[type=checkbox]').all()) {
      await box.setChecked(wanted.includes(await box.inputValue()));
    }
    await page.fill('#steps', '400');

    // Click the map at (-1.2, 2.5): the overlay canvas says where its plot lies.
    const canvas = page.locator('#map canvas.map-overlay');
    const geo = await canvas.evaluate((c) => ({ ...(c as HTMLElement).dataset }));
    const [x0, x1] = geo.x!.split(',').map(Number) as [number, number];
    const [y0, y1] = geo.y!.split(',').map(Number) as [number, number];
    const size = Number(geo.plotSize);
    const target = { x: -1.2, y: 2.5 };
    const position = {
      x: Number(geo.plotLeft) + ((target.x - x0) / (x1 - x0)) * size,
      y: Number(geo.plotTop) + ((y1 - target.y) / (y1 - y0)) * size,
    };
    const before = Number(await page.evaluate(() => document.body.dataset.run ?? 0));
    await canvas.click({ position });
    await waitForRun(page, before);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);

    const sx = Number(await page.inputValue('#start-x'));
    const sy = Number(await page.inputValue('#start-y'));
    expect(sx).toBeCloseTo(target.x, 1);
    expect(sy).toBeCloseTo(target.y, 1);
    const rosenbrock = (1 - sx) ** 2 + 100 * (sy - sx * sx) ** 2;
    const rows = await readRows(page);
    console.log(
      `[e2e] landscapes: ${rows.map((r) => `${r.optimizer} f ${r.startF.toPrecision(3)} -> ${r.finalF.toPrecision(3)}${r.diverged ? ' (diverged)' : ''}`).join(', ')}; ${seconds} s`,
    );
    expect(rows.map((r) => r.optimizer).sort()).toEqual([...wanted].sort());
    for (const r of rows) {
      expect(r.points, r.optimizer).toBeGreaterThan(1);
      expect(Math.abs(r.startF - rosenbrock) / rosenbrock, r.optimizer).toBeLessThan(1e-3);
      if (!r.diverged) {
        expect(r.points, r.optimizer).toBe(401);
        expect(r.finalF, r.optimizer).toBeLessThan(r.startF);
      }
    }
    expect(rows.filter((r) => !r.diverged).length).toBeGreaterThanOrEqual(3);
    const chart = await page.locator('#chart').evaluate((c) => ({ ...(c as HTMLElement).dataset }));
    expect(Number(chart.series)).toBe(4);
    expect(Number(chart.points)).toBeGreaterThan(4 * 100);
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);

    await page.screenshot({ path: screenshotPath('landscapes.png') });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      mkdirSync(dirname(DOCS_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: DOCS_SCREENSHOT });
    }

    // Phone width: the lab stacks into one column that fits the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshotPath('landscapes-phone.png'), fullPage: true });
    const wide = await page.locator('.ls-grid').evaluate((g) => {
      const right = g.getBoundingClientRect().right;
      return [...g.querySelectorAll('*')]
        .filter((e) => e.getBoundingClientRect().right > right + 1)
        .map((e) => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`);
    });
    expect(wide, 'elements wider than the phone-width layout').toEqual([]);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 90_000);
});
