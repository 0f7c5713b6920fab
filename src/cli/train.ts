// `descent train`: build an MLP for a dataset, train it on the GPU with a progress bar, report test accuracy.
import { writeFile } from 'node:fs/promises';
import { createRuntime } from '../runtime.js';
import { ACTIVATIONS, type Activation } from '../core/activations.js';
import { splitDataset, type Dataset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { circles, moons, spiral, xor } from '../data/synthetic.js';
import { dense } from '../nn/layers.js';
import { sequential } from '../nn/model.js';
import { sgd } from '../optim/sgd.js';
import { Network } from '../train/network.js';
import { evaluate, fit } from '../train/fit.js';
import { saveSafetensors } from '../train/checkpoint.js';
import { helpText, numberOption, parseArgs, UsageError, type OptionSpec } from './args.js';
import { stderrIsTerminal, writeProgress } from './quiet.js';

const DATASETS = ['mnist', 'spiral', 'moons', 'circles', 'xor'] as const;

const OPTIONS: OptionSpec[] = [
  { name: 'dataset', help: `one of ${DATASETS.join(', ')}`, default: 'mnist' },
  { name: 'hidden', help: 'hidden layer widths, comma-separated (e.g. 128 or 64,64)', default: '128' },
  { name: 'activation', help: `hidden activation: ${ACTIVATIONS.join(', ')}`, default: 'relu' },
  { name: 'batch', help: 'batch size: 1 is SGD, the training set size is full-batch GD', default: '64' },
  { name: 'epochs', help: 'passes over the training set', default: '3' },
  { name: 'lr', help: 'learning rate', default: '0.1' },
  { name: 'seed', help: 'seed for initialisation, shuffling and synthetic data', default: '1' },
  { name: 'train-size', help: 'MNIST training examples (a prefix of the 60000)', default: '8000' },
  { name: 'test-size', help: 'MNIST test examples (a prefix of the 10000)', default: '2000' },
  { name: 'samples', help: 'examples in a synthetic dataset (a fifth is held out for testing)', default: '1000' },
  { name: 'save', help: 'write the trained parameters to this .safetensors file' },
  { name: 'quiet', help: 'no progress bar', flag: true },
];

export const TRAIN_HELP = `usage: descent train [options]

Trains a multi-layer perceptron (input -> hidden layers -> classes) with softmax cross-entropy and plain
gradient descent on the GPU, prints progress, the test accuracy and samples/s.

options:
${helpText(OPTIONS)}

example:
  npx descent train --dataset mnist --hidden 128 --batch 64 --epochs 3 --lr 0.1 --save mnist.safetensors`;

async function loadData(name: string, values: Record<string, string>, seed: number): Promise<{ train: Dataset; test: Dataset }> {
  if (name === 'mnist') {
    const trainSize = numberOption(values, 'train-size', { integer: true, min: 1, max: 60000 });
    const testSize = numberOption(values, 'test-size', { integer: true, min: 1, max: 10000 });
    return loadMnist({ trainSize, testSize });
  }
  const n = numberOption(values, 'samples', { integer: true, min: 10 });
  const make = { spiral, moons, circles, xor }[name as 'spiral'];
  if (!make) throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got '${name}'`);
  const split = splitDataset(make({ n, seed }), 0.2, seed);
  return { train: split.train, test: split.test };
}

function bar(done: number, total: number, width = 28): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Run the command; returns the process exit code. */
export async function train(argv: string[]): Promise<number> {
  const { values, flags } = parseArgs(argv, OPTIONS);
  const seed = numberOption(values, 'seed', { integer: true, min: 0 });
  const hidden = values.hidden!.split(',').map((h) => {
    const v = Number(h);
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`--hidden must be positive integers separated by commas, got '${values.hidden}'`);
    return v;
  });
  const act = values.activation as Activation;
  if (!ACTIVATIONS.includes(act)) throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, got '${act}'`);
  const epochs = numberOption(values, 'epochs', { integer: true, min: 1 });
  const lr = numberOption(values, 'lr', { min: 0 });
  const batch = numberOption(values, 'batch', { integer: true, min: 1 });

  const { train: trainSet, test } = await loadData(values.dataset!, values, seed);
  const rt = await createRuntime();
  console.log(`adapter: ${rt.description}`);
  const model = sequential(trainSet.inputDim, [...hidden.map((h) => dense(h, { activation: act })), dense(trainSet.classes)], { seed });
  console.log(
    `model: ${[trainSet.inputDim, ...hidden, trainSet.classes].join('-')} (${model.layout.count} parameters), ${trainSet.n} training / ${test.n} test examples`,
  );
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: sgd({ lr }) });
  const stepsPerEpoch = Math.ceil(trainSet.n / batch);
  const tty = stderrIsTerminal() && !flags.has('quiet');
  let lastLoss = NaN;
  const t0 = performance.now();
  const result = await fit(net, trainSet, {
    epochs,
    batchSize: batch,
    seed,
    onStep: (m) => {
      lastLoss = m.loss;
      if (!tty) return;
      const inEpoch = (m.step % stepsPerEpoch) + 1;
      writeProgress(
        `\repoch ${Math.floor(m.step / stepsPerEpoch) + 1}/${epochs} ${bar(inEpoch, stepsPerEpoch)} step ${inEpoch}/${stepsPerEpoch} loss ${lastLoss.toFixed(4)}   `,
      );
    },
    onEpoch: (m) => {
      if (tty) writeProgress('\r\x1b[K');
      // At most about 20 epoch lines, the last always.
      if ((m.epoch + 1) % Math.ceil(epochs / 20) !== 0 && m.epoch + 1 !== epochs) return;
      console.log(
        `epoch ${m.epoch + 1}/${epochs}: loss ${m.loss.toFixed(4)}, train accuracy ${(100 * m.accuracy).toFixed(2)}%, ${Math.round(m.samplesPerSecond)} samples/s, ${(m.steps / m.seconds).toFixed(1)} steps/s`,
      );
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const samples = result.epochs.reduce((s, e) => s + e.samples, 0);
  const ev = await evaluate(net, test);
  console.log(
    `test accuracy ${(100 * ev.accuracy).toFixed(2)}% (loss ${ev.loss.toFixed(4)}) after ${epochs} epochs; ${Math.round(samples / seconds)} samples/s overall`,
  );
  if (values.save) {
    await writeFile(values.save, await saveSafetensors(net));
    console.log(`saved parameters to ${values.save}`);
  }
  await net.destroy();
  rt.destroy();
  return 0;
}
