// End-to-end: the Language model lab in headless Chromium (SwiftShader WebGPU) with a tiny GPT (1 block, 2 heads,
// 32 channels, context 32, set through the page's address). Training lowers the loss below its start and below a
// uniform guess's log2(V) bits; validation is charted; the attention heat map is causal (nothing painted above the
// diagonal, every cell on and below it painted); generated text uses only the sonnets' characters.
// UPDATE_SCREENSHOTS=1 trains longer and writes docs/screenshots/lm.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSonnets } from '../../src/data/text.js';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const docsShot = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'screenshots', 'lm.png');
const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';
const TINY = 'layers=1&heads=2&channels=32&context=32&lr=0.01&batch=8';

let demo: Demo;

describe('demo: Language model lab in headless Chromium', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it('trains a tiny GPT below log2(V) bits, draws a causal attention map and generates text in the corpus vocabulary', async () => {
    const t0 = Date.now();
    const vocab = new Set((await loadSonnets()).tokenizer.vocab);
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors = collectErrors(page);
    await page.goto(new URL(`lm.html?${TINY}`, demo.url).href);
    expect(await waitForStatus(page, ['ready'], 120_000)).toBe('ready');
    const stat = (key: string) => page.evaluate((k) => document.getElementById('stats')!.dataset[k] ?? '', key);
    await page.waitForFunction(() => Number(document.getElementById('stats')!.dataset.valPoints) >= 1, undefined, { timeout: 60_000 });
    const V = Number(await stat('vocabSize'));
    expect(V).toBe(vocab.size);
    const initialVal = Number(await stat('valBits'));
    // An untrained model's validation loss is about a uniform guess's.
    expect(Math.abs(initialVal - Math.log2(V))).toBeLessThan(0.5);
    const tReady = Date.now();

    await page.click('#start');
    expect(await waitForStatus(page, ['running'], 10_000)).toBe('running');
    const target = updateDocs ? 400 : 60;
    await page.waitForFunction((n) => Number(document.getElementById('stats')?.dataset.steps) >= n, target, {
      timeout: updateDocs ? 480_000 : 240_000,
      polling: 250,
    });
    await page.click('#pause');
    expect(await waitForStatus(page, ['done'], 60_000)).toBe('done');
    // Pausing validates once more: at least the start, one during training and the pause.
    await page.waitForFunction(() => Number(document.getElementById('stats')!.dataset.valPoints) >= 3, undefined, { timeout: 60_000 });
    const steps = Number(await stat('steps'));
    const initial = Number(await stat('initialBits'));
    const train = Number(await stat('trainBits'));
    const val = Number(await stat('valBits'));
    expect(steps).toBeGreaterThanOrEqual(target);
    expect(train).toBeLessThan(initial);
    expect(train).toBeLessThan(Math.log2(V));
    expect(val).toBeLessThan(initialVal);
    expect(Number(await page.locator('#loss-chart').getAttribute('data-points'))).toBeGreaterThan(10);

    // The heat map: T x T cells, nothing above the diagonal, everything on and below it painted.
    await page.selectOption('#attn-head', '1');
    await page.waitForFunction(() => Number((document.getElementById('attn') as HTMLElement).dataset.draws) >= 2, undefined, { timeout: 30_000 });
    const map = await page.evaluate(() => {
      const c = document.getElementById('attn') as HTMLCanvasElement;
      const d = c.dataset;
      const [T, cell, left, top] = [d.t, d.cell, d.left, d.top].map(Number) as [number, number, number, number];
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const alpha = (i: number, j: number) => px[((top + i * cell + (cell >> 1)) * c.width + left + j * cell + (cell >> 1)) * 4 + 3]!;
      let upperPainted = 0;
      let lowerEmpty = 0;
      const shades = new Set<number>();
      for (let i = 0; i < T; i++)
        for (let j = 0; j < T; j++) {
          const a = alpha(i, j);
          if (j > i && a !== 0) upperPainted++;
          if (j <= i && a !== 255) lowerEmpty++;
          if (j <= i) shades.add(px[((top + i * cell + (cell >> 1)) * c.width + left + j * cell + (cell >> 1)) * 4]!);
        }
      return { T, upperPainted, lowerEmpty, shades: shades.size, upperMax: Number(d.upperMax) };
    });
    expect(map.T).toBe(32);
    expect(map.upperPainted).toBe(0);
    expect(map.lowerEmpty).toBe(0);
    expect(map.upperMax).toBe(0);
    expect(map.shades).toBeGreaterThan(5);

    // Generation on demand from a prompt: characters of the sonnets only.
    const before = Number((await page.locator('#sample').getAttribute('data-count')) ?? 0);
    await page.fill('#prompt', 'When I do count the clock');
    await page.click('#generate');
    await page.waitForFunction((n) => Number(document.getElementById('sample')!.dataset.count ?? 0) > n, before, { timeout: 60_000 });
    const generated = (await page.locator('#sample').getAttribute('data-text')) ?? '';
    expect(generated.length).toBe(160);
    expect([...generated].filter((c) => !vocab.has(c))).toEqual([]);
    expect(await page.locator('#sample').textContent()).toContain('When I do count the clock');
    console.log(
      `[e2e] lm: ${steps} steps, train ${initial} -> ${train} bits, validation ${initialVal} -> ${val} (log2 V = ${Math.log2(V).toFixed(2)}, bigram ${await stat('bigramBits')}); sample: ${JSON.stringify(generated.slice(0, 60))}`,
    );

    await page.screenshot({ path: screenshotPath('lm.png'), fullPage: true });
    if (updateDocs) {
      mkdirSync(join(docsShot, '..'), { recursive: true });
      await page.screenshot({ path: docsShot, fullPage: true });
    }

    // A character the sonnets never use is named under the prompt; the last sample stays.
    expect(vocab.has('#')).toBe(false);
    await page.fill('#prompt', 'Shall #1');
    await page.click('#generate');
    await page.waitForFunction(() => !document.getElementById('gen-error')!.hidden, undefined, { timeout: 30_000 });
    expect(await page.locator('#gen-error').textContent()).toMatch(/character "#" at index 6 is not in the vocabulary of \d+ characters/);
    expect(await page.locator('#sample').getAttribute('data-text')).toBe(generated);

    // A model that cannot be built is named under the form, and the trained one stays.
    await page.fill('#heads', '3');
    await page.dispatchEvent('#heads', 'change');
    await page.waitForFunction(() => !document.getElementById('config-error')!.hidden, undefined, { timeout: 10_000 });
    expect(await page.locator('#config-error').textContent()).toBe('channels (32) must be a multiple of heads (3): each head gets channels / heads columns');
    expect(Number(await stat('steps'))).toBe(steps);

    // Phone width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);

    expect(errors, errors.join('\n')).toEqual([]);
    console.log(`[e2e] lm: ready after ${((tReady - t0) / 1000).toFixed(1)} s, whole test ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);
});
