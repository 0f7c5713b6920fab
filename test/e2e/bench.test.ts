// End-to-end: the benchmark page in headless Chromium (SwiftShader WebGPU), started by its URL in quick mode with
// the peers: bench.html?run=1&quick=1 (matmul at n = 64 and 128, the memory-bound kernels over 1,000,000
// parameters, the three training workloads; no cold start). The conv suite and LeNet-5 run at the quick preset's
// small sizes (one layer, LeNet's second, at batch 8; LeNet-5 at batch 8): at batch 64 a peer's LeNet step alone
// takes seconds on SwiftShader, and the full-size layers would double this test's time; the page runs all three
// systems in one page (the Node-only crash of the peers' LeNet step after Descent's does not arise in a browser),
// which this test checks. Checks that every table is filled with positive figures,
// the tuned matmul also timed on the peers' clock with the ratio taken from that figure alone,
// TF.js and jax-js either measured or shown as unavailable with a reason, the chart drawn, the JSON download
// and the plain-text report there, the controls labelled and reachable by keyboard, the layout at phone width,
// and no console error. UPDATE_SCREENSHOTS=1 also writes docs/screenshots/bench.png.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATMUL_VARIANTS } from '../../src/kernels/matmul.js';
import { collectErrors, screenshotPath, startDemo, waitForStatus, type Demo } from './browser.js';

const docsShot = join(fileURLToPath(new URL('../..', import.meta.url)), 'docs', 'screenshots', 'bench.png');
const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';

/**
 * The quick run with both peers in every suite: 150-205 s on SwiftShader with two cores while the rest of the suite
 * shares the machine, so 3x that.
 */
const RUN_TIMEOUT_MS = 620_000;
const SIZES = [64, 128];
const PEERS = ['tfjs', 'jax'];

let demo: Demo;

const numbers = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((cells) => cells.map((c) => Number((c as HTMLElement).dataset.value ?? NaN)));

describe('demo: benchmark page in headless Chromium', () => {
  beforeAll(async () => {
    demo = await startDemo();
  }, 120_000);

  afterAll(async () => {
    await demo?.close();
  });

  it(
    'runs the quick suite with TF.js and jax-js and shows every table, the chart and the report',
    async () => {
      const browser = await demo.launch();
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const errors = collectErrors(page);
      const t0 = Date.now();
      await page.goto(new URL('bench.html?run=1&quick=1', demo.url).href);
      const status = await waitForStatus(page, ['done'], RUN_TIMEOUT_MS, async () => {
        const last = await page
          .locator('#log li')
          .last()
          .innerText()
          .catch(() => null);
        return `${await page.locator('#progress-text').textContent()} | ${last}`;
      });
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      await page.screenshot({ path: screenshotPath('bench.png'), fullPage: true });
      if (status !== 'done') {
        const why = (await page.locator('#no-webgpu, #fatal').allInnerTexts()).join('\n').trim();
        throw new Error(`benchmark page ended with status '${status}': ${why}\n${errors.join('\n')}`);
      }
      console.log(
        `[e2e] bench page: ${await page.locator('#adapter-name').textContent()}; quick run finished in ${seconds} s (page says ${await page.evaluate(() => document.body.dataset.seconds)} s)`,
      );
      console.log(`[e2e] ${(await page.locator('#report-text').textContent())?.split('\n').join('\n[e2e] ')}`);

      // The peers: each one measured, or listed as unavailable with its reason.
      const loaded: string[] = [];
      for (const p of PEERS) {
        const li = page.locator(`#peer-status li[data-peer="${p}"]`);
        expect(await li.count(), `peer ${p} listed`).toBe(1);
        const state = await li.getAttribute('data-state');
        if (state === 'ok') loaded.push(p);
        else {
          const text = await li.innerText();
          console.log(`[e2e] peer ${p} unavailable in Chromium: ${text}`);
          expect(text).toMatch(/unavailable: \S+/);
        }
      }
      console.log(`[e2e] peers measured: ${loaded.join(', ') || 'none'}`);

      // Matmul: a row per size, every Descent cell positive, each loaded peer's column filled, the ratio there.
      const sizes = await page.locator('#matmul-table tbody tr').evaluateAll((trs) => trs.map((tr) => Number((tr as HTMLElement).dataset.size)));
      expect(sizes).toEqual(SIZES);
      for (const n of SIZES) {
        const row = `#matmul-table tr[data-size="${n}"]`;
        const descent = await numbers(page, `${row} td[data-kernel]`);
        expect(descent.length).toBeGreaterThanOrEqual(6);
        for (const v of descent) expect(v).toBeGreaterThan(0);
        for (const p of loaded) {
          const [v] = await numbers(page, `${row} td[data-peer="${p}"]`);
          expect(v, `${p} GFLOP/s at n = ${n}`).toBeGreaterThan(0);
        }
        // The tuned choice timed as the peers are, and the ratio taken on that clock alone.
        const [wall] = await numbers(page, `${row} td[data-kernel="auto wall-clock"]`);
        expect(wall, `auto (wall clock) at n = ${n}`).toBeGreaterThan(0);
        if (loaded.length) {
          const peerFigures = (await Promise.all(loaded.map((p) => numbers(page, `${row} td[data-peer="${p}"]`)))).flat().filter((v) => v > 0);
          const [ratio] = await numbers(page, `${row} td.ratio`);
          expect(ratio).toBeGreaterThan(0);
          expect(ratio).toBeCloseTo(wall! / Math.max(...peerFigures), 6);
        }
      }
      expect(await page.locator('#matmul-table thead').innerText()).toContain('auto (wall clock)');
      expect(await page.locator('#matmul-box .table-note').first().innerText()).toContain('wall clock around back-to-back submits');

      // The chart: one series per Descent kernel and per peer, a point per size each.
      const chart = await page.locator('#chart').evaluate((c) => {
        const d = (c as HTMLElement).dataset;
        return { sizes: d.sizes, series: d.series, values: d.values, canvas: !!c.querySelector('canvas') };
      });
      expect(chart.canvas).toBe(true);
      expect(chart.sizes).toBe(SIZES.join(','));
      const series = Number(chart.series);
      expect(series).toBe(descentKernels(await page.locator('#matmul-table thead tr:nth-child(2) th').allTextContents()) + loaded.length);
      expect(Number(chart.values)).toBe(series * SIZES.length);

      // Convolution: the small layer's three passes, Descent on both clocks, each loaded peer, the wall-clock ratio.
      const passes = await page.locator('#conv-table tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.pass));
      expect(passes).toEqual(['forward', 'dx', 'dw+db']);
      for (const v of await numbers(page, '#conv-table td[data-lib="descent"]')) expect(v).toBeGreaterThan(0);
      expect(await page.locator('#conv-table td[data-lib="descent"]').count()).toBe(6);
      // The gemm variant on the same passes (timed on every adapter at this size: a pass of 3.8 MFLOP, under the software bound).
      const gemm = await numbers(page, '#conv-table td[data-variant="gemm"]');
      expect(gemm, 'gemm conv passes').toHaveLength(3);
      for (const v of gemm) expect(v).toBeGreaterThan(0);
      for (const p of loaded) {
        const vs = await numbers(page, `#conv-table td[data-peer="${p}"]`);
        expect(vs.length, `${p} conv passes`).toBe(3);
        for (const v of vs) expect(v, `${p} conv GFLOP/s`).toBeGreaterThan(0);
      }
      if (loaded.length) for (const v of await numbers(page, '#conv-table td.ratio')) expect(v).toBeGreaterThan(0);

      // Training: the two MLPs and LeNet-5, Descent's figures and each loaded peer's, the Descent / best-peer ratio.
      const workloads = await page.locator('#training-table tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.workload));
      expect(workloads).toHaveLength(3);
      expect(workloads[2]).toBe('LeNet-5 28x28x1, batch 8, Adam');
      for (const lib of ['descent', ...loaded]) {
        for (const field of ['ms', 'sps']) {
          const vs = await numbers(page, `#training-table td[data-lib="${lib}"][data-field="${field}"]`);
          expect(vs.length, `${lib} ${field}`).toBe(3);
          for (const v of vs) expect(v, `${lib} ${field}`).toBeGreaterThan(0);
        }
      }
      if (loaded.length) for (const v of await numbers(page, '#training-table td.ratio')) expect(v).toBeGreaterThan(0);

      // Memory-bound: scale, add, the two shader ceilings and the two optimizer updates, each with a copy and a ratio.
      expect(await page.locator('#memory-table tbody tr').count()).toBe(6);
      for (const v of await numbers(page, '#memory-table td.num[data-value]')) expect(v).toBeGreaterThan(0);
      expect(await page.locator('#cold-start').count()).toBe(0);

      // The JSON download is the BenchReport; the plain-text report is in a closed <details>.
      const json = await page.evaluate(async () => {
        const a = document.getElementById('download') as HTMLAnchorElement;
        const r = (await (await fetch(a.href)).json()) as {
          matmul: { wallClock?: { timing: { method: string } } }[];
          conv: { pass: string; gflops: number; wallClock: { gflops: number }; peers: Record<string, number> }[];
          training: { workload: string; dispatchesPerStep: number; peers: Record<string, { samplesPerSecond: number }> }[];
          memory: unknown[];
          peers: { name: string }[];
          environment: string;
        };
        const clocks = r.matmul.flatMap((m) => (m.wallClock ? [m.wallClock.timing.method] : []));
        return {
          download: a.download,
          matmul: r.matmul.length,
          clocks,
          training: r.training.length,
          conv: r.conv.map((c) => ({ pass: c.pass, peers: Object.keys(c.peers).sort(), positive: c.gflops > 0 && c.wallClock.gflops > 0 })),
          lenet: r.training
            .filter((t) => t.workload.startsWith('LeNet-5'))
            .map((t) => ({ peers: Object.keys(t.peers).sort(), dispatches: t.dispatchesPerStep })),
          memory: r.memory.length,
          peers: r.peers.map((p) => p.name),
          env: r.environment,
        };
      });
      expect(json.download).toMatch(/^descent-bench-.*\.json$/);
      // Every variant, then 'auto' plain, with A or B transposed, and with the epilogue.
      expect(json.matmul).toBe(SIZES.length * (MATMUL_VARIANTS.length + 4));
      // One figure per size on the peers' clock: the plain tuned product's.
      expect(json.clocks).toEqual(SIZES.map(() => 'wall-clock-submits'));
      expect(json.training).toBe(3);
      expect(json.conv).toEqual(['forward', 'dx', 'dw+db'].map((pass) => ({ pass, peers: [...loaded].sort(), positive: true })));
      expect(json.lenet).toHaveLength(1);
      expect(json.lenet[0]!.peers).toEqual([...loaded].sort());
      expect(json.lenet[0]!.dispatches).toBeGreaterThan(0);
      expect(json.memory).toBe(6);
      expect(json.peers.sort()).toEqual([...PEERS].sort());
      expect(json.env).toContain('Chrome');
      expect(await page.locator('#text-report').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
      expect(await page.locator('#report-text').textContent()).toContain('matmul GFLOP/s');
      expect(await page.locator('#environment').textContent()).toContain('Chrome');

      if (updateDocs) {
        mkdirSync(join(docsShot, '..'), { recursive: true });
        // From the controls down (under the sticky navigation bar): the controls, the chart, the run summary (with
        // the adapter) and the matmul table fit in 1200 x 800.
        await page.evaluate(() => window.scrollTo(0, document.getElementById('controls')!.getBoundingClientRect().top + window.scrollY - 52));
        await page.screenshot({ path: docsShot, fullPage: false });
        const kb = statSync(docsShot).size / 1024;
        console.log(`[e2e] wrote ${docsShot} (${kb.toFixed(0)} KB)`);
        expect(kb).toBeLessThan(250);
      }

      // Every control is labelled and reachable with Tab.
      const unlabelled = await page
        .locator('#controls input, #controls button')
        .evaluateAll((els) => els.filter((e) => !((e as HTMLInputElement).labels?.length || e.textContent?.trim())).map((e) => e.outerHTML));
      expect(unlabelled).toEqual([]);
      await page.locator('#nav a').last().focus();
      const reached = new Set<string>();
      for (let i = 0; i < 16; i++) {
        await page.keyboard.press('Tab');
        reached.add(
          await page.evaluate(() => {
            const a = document.activeElement as HTMLInputElement | null;
            return a?.id || (a?.name === 'suite' ? `suite-${a.value}` : (a?.tagName ?? ''));
          }),
        );
      }
      for (const id of [
        'suite-matmul',
        'suite-conv',
        'suite-memory',
        'suite-train',
        'suite-cold',
        'peers',
        'tune',
        'sizes',
        'params',
        'run',
        'quick',
        'defaults',
      ]) {
        expect(reached, `Tab reaches #${id}`).toContain(id);
      }

      // Phone width: one column, nothing wider than the screen (the tables scroll inside their boxes).
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await page.screenshot({ path: screenshotPath('bench-phone.png'), fullPage: true });
      expect(overflow, 'horizontal overflow at 390 px').toBeLessThanOrEqual(0);

      expect(errors, errors.join('\n')).toEqual([]);
    },
    RUN_TIMEOUT_MS + 60_000,
  );

  it('waits for the button without ?run=1', async () => {
    const browser = await demo.launch();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = collectErrors(page);
    await page.goto(new URL('bench.html?quick=1', demo.url).href);
    expect(await waitForStatus(page, ['ready'], 30_000)).toBe('ready');
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => document.body.dataset.status)).toBe('ready');
    expect(await page.locator('#run').isEnabled()).toBe(true);
    expect(await page.locator('#sizes').inputValue()).toBe('64,128');
    expect(await page.locator('#params').inputValue()).toBe('1,000,000');
    expect(await page.locator('input[name="suite"][value="cold"]').isChecked()).toBe(false);
    // A bad size is explained and blocks the run.
    await page.fill('#sizes', '64,abc');
    expect(await page.locator('#sizes-error').textContent()).toContain('abc');
    expect(await page.locator('#run').isEnabled()).toBe(false);
    await page.click('#defaults');
    expect(await page.locator('#sizes').inputValue()).toBe('64,128,256,512');
    expect(await page.locator('#params').inputValue()).toBe('4,000,000');
    expect(await page.locator('#run').isEnabled()).toBe(true);
    expect(await page.locator('#results').isVisible()).toBe(false);
    expect(errors, errors.join('\n')).toEqual([]);
  }, 60_000);
});

/** Descent's columns in the matmul table's second header row: the plain kernels and 'auto', not its variants. */
function descentKernels(headers: string[]): number {
  return headers.filter((h) => !['TF.js', 'jax-js'].includes(h) && !h.startsWith('auto ')).length;
}
