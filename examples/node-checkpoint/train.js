// Trains a classifier on the GPU (Dawn, the npm package `webgpu`), saves a .safetensors checkpoint, loads it into
// a freshly initialised network and checks that both predict the same logits. Usage: node train.js [file]
import { readFile, writeFile } from 'node:fs/promises';
import { adam, batchNorm, compile, createRuntime, dense, loadSafetensors, moons, saveSafetensors, sequential } from 'descent';

const file = process.argv[2] ?? 'moons.safetensors';
const rt = await createRuntime();
console.log(`adapter: ${rt.description}`);
const data = moons({ n: 400, seed: 3 });
const model = (seed) => sequential(2, [dense(16, { activation: 'relu' }), batchNorm(), dense(2)], { seed });
const options = { loss: 'cross_entropy', optimizer: adam({ lr: 0.02 }) };

const net = await compile(rt, model(1), options);
await net.fit(data, {
  epochs: 20,
  batchSize: 32,
  // m.epoch counts from 0.
  onEpoch: (m) => (m.epoch + 1) % 5 === 0 && console.log(`epoch ${m.epoch + 1}: loss ${m.loss.toFixed(4)}, accuracy ${m.accuracy.toFixed(3)}`),
});
const trained = await net.evaluate(data);
await writeFile(file, await saveSafetensors(net));

// Another seed: its initial weights differ, so matching predictions can only come from the checkpoint.
const restored = await compile(rt, model(2), options);
loadSafetensors(restored, await readFile(file));
const [a, b] = [await net.predict(data.x), await restored.predict(data.x)];
const same = a.length === b.length && a.every((v, i) => v === b[i]);
const reloaded = await restored.evaluate(data);
console.log(JSON.stringify({ file, accuracy: trained.accuracy, reloadedAccuracy: reloaded.accuracy, samePredictions: same }));
rt.destroy();
if (!same) {
  console.error('the reloaded network predicts differently from the one saved');
  process.exitCode = 1;
}
