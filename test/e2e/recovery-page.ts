// Bundled alone for test/e2e/recovery.test.ts: trains a small spiral network in the page and destroys the GPU
// device in the middle of the fit; the page reports what fit did about it.
import { adam, createRuntime, dense, Network, sequential, spiral } from '../../src/index.js';

/** What the test reads back from the page. */
export interface RecoveryReport {
  recoveries: number;
  injectedAt: number;
  restoredStep: number;
  repeatedSteps: number;
  steps: number;
  epochs: number[];
  finalLoss: number;
  paramsFinite: boolean;
  lostReason: string;
}

async function run(): Promise<RecoveryReport> {
  const rt = await createRuntime({ tuning: 'off' });
  const model = sequential(2, [dense(16, { activation: 'tanh' }), dense(3)], { seed: 3 });
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: adam({ lr: 0.02 }), metricsEvery: 2 });
  const data = spiral({ n: 96, seed: 2 });
  const report = { injectedAt: -1, restoredStep: -1, repeatedSteps: -1, lostReason: '' };
  const r = await net.fit(data, {
    epochs: 4,
    batchSize: 16,
    snapshotEvery: { steps: 4 },
    onStep: (m) => {
      if (report.injectedAt < 0 && m.step >= 8) {
        report.injectedAt = m.step;
        rt.device.destroy();
      }
    },
    onDeviceLost: (i) => (report.lostReason = i.reason),
    onRecovered: (i) => {
      report.restoredStep = i.snapshot.steps;
      report.repeatedSteps = i.repeatedSteps;
    },
  });
  const params = await net.parameters();
  const out: RecoveryReport = {
    ...report,
    recoveries: r.recoveries,
    steps: net.steps,
    epochs: r.epochs.map((e) => e.epoch),
    finalLoss: r.epochs[r.epochs.length - 1]!.loss,
    paramsFinite: Object.values(params).every((t) => t.data.every(Number.isFinite)),
  };
  rt.destroy();
  return out;
}

(globalThis as unknown as { descentRecovery: () => Promise<RecoveryReport> }).descentRecovery = run;
