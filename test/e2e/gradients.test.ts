// End-to-end: the vanishing-gradients lab in headless Chromium (WebGPU on SwiftShader). Train a 20-layer sigmoid
// net for 50 steps, then a 20-layer ReLU net with residual connections, and check that the first layer's gradient
// vanishes in the first and not in the second, in the numbers the page shows and in its explanation. Then the
// mechanism, on small nets: a negative bias shift kills ReLU units (and Leaky ReLU keeps them alive), a large
// initialisation saturates sigmoid units, as the per-layer fractions measured on the GPU and the sentence show.
// UPDATE_SCREENSHOTS=1 also refreshes docs/screenshots/gradients.png.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/gradients.png', import.meta.url));
const STEPS = 50;

let demo: Demo;

interface Snapshot {
  step: number;
  names: string[];
  norms: number[];
  tone: string;
  text: string;
}

const runs = (page: Page) => page.evaluate(() => Number(document.body.dataset.runs ?? 0));

/** Click Run for `steps` steps and wait until they have finished and their metrics are shown. */
async function runSteps(page: Page, steps: number): Promise<Snapshot> {
  const before = await runs(page);
  await page.fill('#run-steps', String(steps));
  await page.click('#run-n');
  await page.waitForFunction((n) => Number(document.body.dataset.runs ?? 0) > n || document.body.dataset.status === 'error', before, { timeout: 40_000 });
  expect(await waitForStatus(page, ['done'], 1_000)).toBe('done');
  expect(await page.evaluate(() => document.body.dataset.failed ?? null)).toBeNull();
  const d = await page.locator('#heatmap').evaluate((h) => ({ ...(h as HTMLElement).dataset }));
  const e = await page.locator('#explain').evaluate((x) => ({ tone: (x as HTMLElement).dataset.tone ?? '', text: x.textContent ?? '' }));
  return { step: Number(d.step), names: JSON.parse(d.names!), norms: JSON.parse(d.norms!), ...e };
}

interface Fractions {
  layers: string[];
  dead: number[];
  inactive: number[];
  saturated: number[];
  cause: string;
  text: string;
}

/** The per-layer activation fractions and the sentence naming the cause, as the page shows them now. */
async function fractions(page: Page): Promise<Fractions> {
  const d = await page.locator('#ridge').evaluate((r) => ({ ...(r as HTMLElement).dataset }));
  const c = await page.locator('#cause').evaluate((x) => ({ cause: (x as HTMLElement).dataset.cause ?? '', text: x.textContent ?? '' }));
  const parse = (k: string): number[] => JSON.parse(d[k] ?? '[]');
  return { layers: JSON.parse(d.layers ?? '[]'), dead: parse('dead'), inactive: parse('inactive'), saturated: parse('saturated'), ...c };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

describe('demo: vanishing gradients lab', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it('shows the first layer of a deep sigmoid net starved of gradient, and ReLU with residual connections curing it', async () => {
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    const t0 = Date.now();
    await page.goto(new URL('gradients.html', demo.url).href);
    expect(await waitForStatus(page, ['ready'], 40_000, () => page.locator('#phase').textContent())).toBe('ready');

    // 20 hidden sigmoid layers, no normalisation, no residual connections, plain SGD.
    await page.selectOption('#activation', 'sigmoid');
    await page.selectOption('#norm', 'none');
    await page.setChecked('#residual', false);
    await page.locator('#depth').fill('20');
    await page.selectOption('#optimizer', 'sgd');
    const sigmoid = await runSteps(page, STEPS);
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await runSteps(page, 250);
      mkdirSync(dirname(DOCS_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: DOCS_SCREENSHOT, fullPage: true });
    }
    await page.screenshot({ path: screenshotPath('gradients-sigmoid.png') });

    // The same depth with ReLU and residual connections: a fresh network.
    await page.selectOption('#activation', 'relu');
    await page.setChecked('#residual', true);
    const relu = await runSteps(page, STEPS);
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    await page.screenshot({ path: screenshotPath('gradients.png') });

    const summary = (s: Snapshot) => `first ${s.norms[0]!.toExponential(2)}, last ${s.norms[s.norms.length - 1]!.toExponential(2)}`;
    console.log(`[e2e] gradients after ${STEPS} steps: sigmoid ${summary(sigmoid)}; relu+residual ${summary(relu)}; ${seconds} s`);

    for (const s of [sigmoid, relu]) {
      expect(s.step).toBeGreaterThanOrEqual(STEPS - 5);
      expect(s.names).toHaveLength(21); // 20 hidden layers and the output layer, input side first
      expect(s.norms.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    }
    expect(sigmoid.names[0]).toBe('0.weight');
    expect(relu.names[1]).toBe('2.block.0.weight');
    // Absolute: the first layer's gradient norm, and relative to each run's output layer (which both nets train).
    const [sf, sl] = [sigmoid.norms[0]!, sigmoid.norms[20]!];
    const [rf, rl] = [relu.norms[0]!, relu.norms[20]!];
    expect(sf * 100).toBeLessThan(rf);
    expect((sf / sl) * 100).toBeLessThan(rf / rl);
    expect(sigmoid.tone).toBe('vanishing');
    expect(sigmoid.text).toMatch(/Vanishing: the first layer's gradient/);
    expect(relu.tone).not.toBe('vanishing');
    expect(relu.text).not.toMatch(/Vanishing/);

    // Phone width: one column that fits.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshotPath('gradients-phone.png'), fullPage: true });
    const wide = await page.locator('.vg-grid').evaluate((g) => {
      const right = g.getBoundingClientRect().right;
      return [...g.querySelectorAll('*')]
        .filter((e) => !e.closest('.sr-only') && e.getBoundingClientRect().right > right + 1)
        .map((e) => `${e.tagName}.${e.className}`);
    });
    expect(wide, 'elements wider than the phone-width layout').toEqual([]);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 90_000);

  it('shows dead ReLUs under a negative bias shift, Leaky ReLU keeping them alive, and sigmoid saturating under a large initialisation', async () => {
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    const t0 = Date.now();
    await page.goto(new URL('gradients.html?activation=relu&depth=4&norm=none&optimizer=sgd', demo.url).href);
    expect(await waitForStatus(page, ['ready'], 40_000, () => page.locator('#phase').textContent())).toBe('ready');
    const measure = async () => (await runSteps(page, 5), fractions(page));

    const relu = await measure();
    await page.selectOption('#bias-shift', '-2');
    const shifted = await measure();
    await page.selectOption('#activation', 'leaky_relu');
    const leaky = await measure();
    await page.selectOption('#activation', 'sigmoid');
    await page.selectOption('#bias-shift', '0');
    const sigmoid = await measure();
    await page.selectOption('#init-scale', '10');
    const large = await measure();
    const show = (f: Fractions) => `dead ${mean(f.dead).toFixed(2)} inactive ${mean(f.inactive).toFixed(2)} saturated ${mean(f.saturated).toFixed(2)}`;
    console.log(
      `[e2e] activations (mean over layers): relu ${show(relu)}; bias -2 ${show(shifted)}; leaky ${show(leaky)}; sigmoid ${show(sigmoid)}; init x10 ${show(large)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    for (const f of [relu, shifted, leaky, sigmoid, large]) expect(f.layers).toEqual(['1', '3', '5', '7']);
    expect(mean(shifted.dead)).toBeGreaterThan(mean(relu.dead) + 0.3);
    expect(shifted.cause).toBe('dead');
    expect(shifted.text).toMatch(/units are dead: their inputs are negative for every example.*Leaky ReLU keeps a slope/);
    // Under Leaky ReLU the same units are inactive, but none is dead.
    expect(mean(leaky.inactive)).toBeGreaterThan(0.3);
    expect(leaky.dead.every((v) => v === 0)).toBe(true);
    expect(leaky.cause).toBe('inactive');
    expect(Math.max(...large.saturated)).toBeGreaterThan(Math.max(...sigmoid.saturated) + 0.3);
    expect(large.cause).toBe('saturated');
    expect(large.text).toMatch(/pre-activations are saturated/);
    expect(sigmoid.dead.every((v) => v === 0)).toBe(true);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 90_000);
});
