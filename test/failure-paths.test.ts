// Training that cannot go on ends promptly with a typed error, never with a made-up success: the device lost
// or destroyed, the runtime or the network destroyed, in the middle of a fit or before it; and a network
// refuses a second operation while a fit holds it. Every wait is bounded, so a regression fails, not hangs.
import { describe, expect, it } from 'vitest';
import { BusyError, DeviceError } from '../src/core/errors.js';
import { spiral } from '../src/data/synthetic.js';
import { createRuntime, type Runtime } from '../src/index.js';
import { dense } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { adam, sgd } from '../src/optim/index.js';
import { loadSafetensors, saveSafetensors } from '../src/train/checkpoint.js';
import { Network } from '../src/train/network.js';
import { TrainingSession } from '../src/train/session.js';
import { gpu } from './helpers/gpu.js';
import { settle } from './helpers/settle.js';

const model = () => sequential(2, [dense(8, { activation: 'relu' }), dense(3)], { seed: 5 });
const data = spiral({ n: 64, seed: 1 });

/** A runtime of the test's own, for faults that kill it. */
const ownRuntime = (): Promise<Runtime> => createRuntime({ tuning: 'off' });

const counters = (net: Network) => ({ steps: net.steps, optimizerSteps: net.optimizerSteps, completedSteps: net.completedSteps });

type Fault = 'device.destroy()' | 'rt.destroy()' | 'net.destroy()';
function inject(fault: Fault, rt: Runtime, net: Network): void {
  if (fault === 'device.destroy()') rt.device.destroy();
  else if (fault === 'rt.destroy()') rt.destroy();
  else void net.destroy();
}

const faults: Fault[] = ['device.destroy()', 'rt.destroy()', 'net.destroy()'];
const reason: Record<Fault, RegExp> = {
  'device.destroy()': /device was lost/,
  'rt.destroy()': /runtime was destroyed/,
  'net.destroy()': /network was destroyed/,
};

describe('a fault in the middle of fit', () => {
  // With snapshots on (the default) a lost device is recovered from (test/recovery.test.ts); a destroyed runtime or
  // network never is. With them off, every fault ends the fit.
  const cases = faults.flatMap((fault) => [
    { fault, snapshotEvery: false as const },
    ...(fault === 'device.destroy()' ? [] : [{ fault, snapshotEvery: undefined }]),
  ]);
  for (const { fault, snapshotEvery } of cases) {
    it(`${fault} makes fit reject promptly with DeviceError (snapshots ${snapshotEvery === false ? 'off' : 'on'})`, { timeout: 60_000 }, async () => {
      const rt = await ownRuntime();
      const net = await Network.compile(rt, model(), { loss: 'cross_entropy', metricsEvery: 2, maxPendingReads: 2 });
      let injected = -1;
      // Steps of 1 row for many epochs: far more than can finish before the fault, whatever the speed.
      const run = net.fit(data, {
        epochs: 1000,
        batchSize: 1,
        snapshotEvery,
        onStep: (m) => {
          if (injected < 0 && m.step >= 6) {
            injected = m.step;
            inject(fault, rt, net);
          }
        },
      });
      const r = await settle(run, 30_000, `fit after ${fault}`);
      expect(injected, 'the fault was injected mid-run').toBeGreaterThanOrEqual(6);
      expect(r.error, `fit must reject, got ${JSON.stringify(r.value)?.slice(0, 80)}`).toBeInstanceOf(DeviceError);
      expect((r.error as DeviceError).code).toBe('DEVICE');
      expect((r.error as Error).message).toMatch(reason[fault]);
      rt.destroy();
    });
  }
});

describe('fit, a session, predict and evaluate after a fault', () => {
  for (const fault of faults) {
    it(`after ${fault}: each rejects with DeviceError and the counters stay`, { timeout: 60_000 }, async () => {
      const rt = await ownRuntime();
      const net = await Network.compile(rt, model(), { loss: 'cross_entropy', metricsEvery: 4 });
      await net.fit(data, { epochs: 1, batchSize: 16 });
      const before = counters(net);
      expect(before.steps).toBe(4);
      inject(fault, rt, net);
      const r = await settle(net.fit(data, { epochs: 2, batchSize: 16 }), 15_000, `fit after ${fault}`);
      expect(r.error, `fit must reject, got ${JSON.stringify(r.value)}`).toBeInstanceOf(DeviceError);
      expect((r.error as Error).message).toMatch(reason[fault]);
      expect(counters(net)).toEqual(before);
      const calls: [string, () => Promise<unknown>][] = [
        ['session run', () => new TrainingSession(net, data, { batchSize: 16 }).run({ steps: 3 })],
        ['predict', () => net.predict(data.x.subarray(0, 8))],
        ['evaluate', () => net.evaluate(data)],
        ['parameters', () => net.parameters()],
      ];
      for (const [what, call] of calls) {
        const e = await settle(Promise.resolve().then(call), 15_000, `${what} after ${fault}`);
        expect(e.error, what).toBeInstanceOf(DeviceError);
        expect((e.error as Error).message, what).toMatch(reason[fault]);
      }
      expect(counters(net)).toEqual(before);
      rt.destroy();
    });
  }
});

describe('one operation at a time', () => {
  it('a second fit while one runs is a BusyError; the first finishes with real metrics; the next pair too', { timeout: 90_000 }, async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, model(), { loss: 'cross_entropy', optimizer: sgd({ lr: 0.05 }), metricsEvery: 3 });
    for (let pair = 0; pair < 2; pair++) {
      const first = net.fit(data, { epochs: 2, batchSize: 8 });
      const second = await settle(net.fit(data, { epochs: 2, batchSize: 8 }), 15_000, 'second fit');
      expect(second.error).toBeInstanceOf(BusyError);
      expect((second.error as BusyError).code).toBe('BUSY');
      expect((second.error as Error).message).toMatch(/fit\(\): the network is busy with fit\(\)/);
      const r = await settle(first, 45_000, 'first fit');
      expect(r.error).toBeUndefined();
      expect(r.value!.epochs.map((e) => e.samples)).toEqual([64, 64]);
      for (const e of r.value!.epochs) expect(e.loss).toBeGreaterThan(0);
      expect(net.steps).toBe(16 * (pair + 1));
      expect(net.optimizerSteps).toBe(net.steps);
    }
    // Nothing went wrong on the device meanwhile: no error is left waiting for a later call.
    await rt.sync();
    await net.destroy();
  });

  it('predict and evaluate calls at once are queued: each gets its own results, also during a fit', { timeout: 90_000 }, async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, model(), { loss: 'cross_entropy' });
    const xs = [0, 1, 2, 3].map((i) => data.x.slice(i * 32, i * 32 + 32));
    const halves = [0, 1].map((h) => ({ ...data, n: 32, x: data.x.slice(h * 64, h * 64 + 64), y: data.y.slice(h * 32, h * 32 + 32) }));
    const seq = { outs: [] as Float32Array[], evals: [] as { loss: number; accuracy: number }[] };
    for (const x of xs) seq.outs.push(await net.predict(x));
    for (const h of halves) seq.evals.push(await net.evaluate(h));
    const at = await settle(
      Promise.all([net.predict(xs[0]!), ...xs.map((x) => net.predict(x)), ...halves.map((h) => net.evaluate(h))]),
      10_000,
      'predicts at once',
    );
    expect(at.error).toBeUndefined();
    expect(at.value!.slice(1, 5)).toEqual(seq.outs);
    expect(at.value!.slice(5)).toEqual(seq.evals);
    // During a fit they are allowed (they only read), and still queued among themselves.
    const run = net.fit(data, { epochs: 2, batchSize: 8 });
    const during = await settle(Promise.all(xs.map((x) => net.predict(x))), 30_000, 'predicts during a fit');
    expect(during.error).toBeUndefined();
    expect(during.value!.map((o) => o.length)).toEqual([48, 48, 48, 48]);
    expect((await settle(run, 60_000, 'fit')).error).toBeUndefined();
    await net.destroy();
  });

  it('setOptimizer, reset, load, loadSafetensors and a session run during a fit are BusyErrors that change nothing', { timeout: 90_000 }, async () => {
    const rt = await gpu();
    const net = await Network.compile(rt, model(), { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }), metricsEvery: 3 });
    const params = await net.parameters();
    const bytes = await saveSafetensors(net);
    const run = net.fit(data, { epochs: 3, batchSize: 8 });
    const attempts: [string, () => unknown][] = [
      ['setOptimizer', () => net.setOptimizer(sgd({ lr: 0.1 }))],
      ['reset', () => net.reset()],
      ['load', () => net.load(params)],
      ['loadSafetensors', () => loadSafetensors(net, bytes)],
      ['session run', () => new TrainingSession(net, data, { batchSize: 8 }).run({ steps: 2 })],
    ];
    for (const [what, call] of attempts) {
      const r = await settle(Promise.resolve().then(call), 15_000, what);
      expect(r.error, what).toBeInstanceOf(BusyError);
      expect((r.error as Error).message, what).toMatch(/busy with fit\(\)/);
    }
    const r = await settle(run, 60_000, 'fit');
    expect(r.error).toBeUndefined();
    expect(net.optimizer.name).toBe('adam');
    expect(net.steps).toBe(24);
    expect(net.optimizerSteps).toBe(24);
    // Once the fit is over, the same calls go through.
    await net.reset();
    expect(counters(net)).toEqual({ steps: 0, optimizerSteps: 0, completedSteps: 0 });
    await net.destroy();
  });
});
