// Step-by-step training for interactive apps: steps on demand, a time budget, epochs, reset.
import { describe, expect, it } from 'vitest';
import { spiral } from '../src/data/synthetic.js';
import { dense } from '../src/nn/layers.js';
import { sequential } from '../src/nn/model.js';
import { adam } from '../src/optim/index.js';
import { Network } from '../src/train/network.js';
import { TrainingSession } from '../src/train/session.js';
import { fit } from '../src/train/fit.js';
import { gpu } from './helpers/gpu.js';

describe('TrainingSession', () => {
  it('runs the same steps as fit, one call at a time, and counts epochs', async () => {
    const rt = await gpu();
    const model = () => sequential(2, [dense(16, { activation: 'relu' }), dense(3)], { seed: 5 });
    const data = spiral({ n: 50, seed: 2 });
    const a = await Network.compile(rt, model(), { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }) });
    const s = new TrainingSession(a, data, { batchSize: 16, shuffle: false });
    expect(s.stepsPerEpoch).toBe(4);
    expect(await s.run()).toBe(1);
    expect(await s.run({ steps: 7 })).toBe(7);
    expect(s.epoch).toBe(2);
    expect(s.stepInEpoch).toBe(0);
    const b = await Network.compile(rt, model(), { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }) });
    await fit(b, data, { epochs: 2, batchSize: 16, shuffle: false });
    const [pa, pb] = [await a.parameters(), await b.parameters()];
    for (const k of Object.keys(pa)) expect(pa[k]!.data).toEqual(pb[k]!.data);
    expect(await s.run({ budgetMs: 30 })).toBeGreaterThan(0);
    await a.reset();
    expect(a.optimizerSteps).toBe(0);
    expect(a.steps).toBe(0);
    const fresh = model().initialParameters();
    const after = await a.parameters();
    const seg = model().layout.get('0.weight');
    expect(after['0.weight']!.data).toEqual(fresh.slice(seg.offset, seg.offset + seg.length));
    await a.destroy();
    await b.destroy();
  });
});
