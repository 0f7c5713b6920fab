// `descent train`: build an MLP for a dataset, train it on the GPU with a progress bar, report test accuracy.
import { createRuntime } from '../runtime.js';
import { ACTIVATIONS, type Activation } from '../core/activations.js';
import { splitDataset, type Dataset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { circles, moons, spiral, xor } from '../data/synthetic.js';
import { dense } from '../nn/layers.js';
import { sequential } from '../nn/model.js';
import { lenet5 } from '../nn/zoo.js';
import { sgd } from '../optim/sgd.js';
import { adam } from '../optim/adam.js';
import { cosine } from '../optim/schedules.js';
import { Network } from '../train/network.js';
import { evaluate, fit } from '../train/fit.js';
import { saveAndClose } from './finish.js';
import { helpText, numberOption, parseArgs, UsageError, type OptionSpec } from './args.js';
import { stderrIsTerminal, writeProgress } from './quiet.js';
import { trainGpt, wantsGpt } from './train-gpt.js';

const DATASETS = ['mnist', 'spiral', 'moons', 'circles', 'xor'] as const;
const MODELS = ['mlp', 'lenet'] as const;
type ModelName = (typeof MODELS)[number];
const OPTIMIZERS = ['sgd', 'adam'] as const;

// Per-model defaults: the MLP keeps the plain SGD it always had; the CNN trains faster and more reliably with
// Adam and a cosine decay to zero over the run.
const MODEL_DEFAULTS: Record<ModelName, { optimizer: string; lr: string; batch: string; schedule: string }> = {
  mlp: { optimizer: 'sgd', lr: '0.1', batch: '64', schedule: 'constant' },
  lenet: { optimizer: 'adam', lr: '0.002', batch: '32', schedule: 'cosine' },
};
const defaultsHelp = (key: 'optimizer' | 'lr' | 'batch' | 'schedule') => `(default ${MODELS.map((m) => `${MODEL_DEFAULTS[m][key]} for ${m}`).join(', ')})`;

const OPTIONS: OptionSpec[] = [
  { name: 'dataset', help: `one of ${DATASETS.join(', ')} (sonnets: see above)`, default: 'mnist' },
  { name: 'model', help: `${MODELS.join(' or ')}: an MLP, or a LeNet-5 CNN on 28x28 MNIST images (gpt: see above)`, default: 'mlp' },
  { name: 'hidden', help: 'mlp hidden layer widths, comma-separated (e.g. 128 or 64,64)', default: '128' },
  { name: 'activation', help: `hidden activation: ${ACTIVATIONS.join(', ')}`, default: 'relu' },
  { name: 'batch', help: `batch size: 1 is SGD, the training set size is full-batch GD ${defaultsHelp('batch')}` },
  { name: 'epochs', help: 'passes over the training set', default: '3' },
  { name: 'optimizer', help: `${OPTIMIZERS.join(' or ')} ${defaultsHelp('optimizer')}` },
  { name: 'lr', help: `learning rate ${defaultsHelp('lr')}` },
  { name: 'schedule', help: `constant, or cosine decay to 0 over the run ${defaultsHelp('schedule')}` },
  { name: 'seed', help: 'seed for initialisation, shuffling and synthetic data', default: '1' },
  { name: 'train-size', help: 'MNIST training examples (a prefix of the 60000)', default: '8000' },
  { name: 'test-size', help: 'MNIST test examples (a prefix of the 10000)', default: '2000' },
  { name: 'samples', help: 'examples in a synthetic dataset (a fifth is held out for testing)', default: '1000' },
  { name: 'save', help: 'write the trained parameters to this .safetensors file' },
  { name: 'quiet', help: 'no progress bar', flag: true },
];

export const TRAIN_HELP = `usage: descent train [options]

Trains a classifier with softmax cross-entropy on the GPU, prints progress, the test accuracy and samples/s.
--model mlp: input -> hidden layers -> classes. --model lenet (MNIST only; each row of 784 pixels is read as a
28x28x1 image): conv 6 5x5 same relu, max pool 2, conv 16 5x5 valid relu, max pool 2, flatten,
dense 120 relu, dense 84 relu, dense 10.
--dataset sonnets --model gpt: a character-level GPT on Shakespeare's sonnets; its options:
descent train --model gpt --help.

options:
${helpText(OPTIONS)}

examples:
  npx descent train --dataset mnist --hidden 128 --batch 64 --epochs 3 --lr 0.1 --save mnist.safetensors
  npx descent train --dataset mnist --model lenet --epochs 3 --train-size 60000 --test-size 10000`;

/** One of the choices, or a UsageError naming the option and the choices. */
function choice<T extends string>(values: Record<string, string>, name: string, choices: readonly T[]): T {
  const v = values[name] as T;
  if (!choices.includes(v)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${v}'`);
  return v;
}

function buildModel(name: ModelName, data: Dataset, hidden: number[], act: Activation, seed: number) {
  if (name === 'mlp') {
    const model = sequential(data.inputDim, [...hidden.map((h) => dense(h, { activation: act })), dense(data.classes)], { seed });
    return { model, label: [data.inputDim, ...hidden, data.classes].join('-') };
  }
  // The rows stay as they are: a [28, 28, 1] input reads each 784-float row as an NHWC image.
  const model = lenet5({ classes: data.classes, seed });
  return { model, label: 'lenet 28x28x1-conv6-pool-conv16-pool-120-84-10' };
}

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
  if (wantsGpt(argv)) return trainGpt(argv);
  const { values, flags } = parseArgs(argv, OPTIONS);
  const seed = numberOption(values, 'seed', { integer: true, min: 0 });
  const hidden = values.hidden!.split(',').map((h) => {
    const v = Number(h);
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`--hidden must be positive integers separated by commas, got '${values.hidden}'`);
    return v;
  });
  const act = values.activation as Activation;
  if (!ACTIVATIONS.includes(act)) throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, got '${act}'`);
  const modelName = choice(values, 'model', MODELS);
  if (modelName === 'lenet' && values.dataset !== 'mnist') throw new UsageError(`--model lenet needs --dataset mnist (28x28 images), got '${values.dataset}'`);
  for (const [k, v] of Object.entries(MODEL_DEFAULTS[modelName])) values[k] ??= v;
  const optimizer = choice(values, 'optimizer', OPTIMIZERS);
  const scheduleName = choice(values, 'schedule', ['constant', 'cosine'] as const);
  const epochs = numberOption(values, 'epochs', { integer: true, min: 1 });
  const lr = numberOption(values, 'lr', { min: 0 });
  const batch = numberOption(values, 'batch', { integer: true, min: 1 });

  const { train: trainSet, test } = await loadData(values.dataset!, values, seed);
  const rt = await createRuntime();
  console.log(`adapter: ${rt.description}`);
  const { model, label } = buildModel(modelName, trainSet, hidden, act, seed);
  console.log(`model: ${label} (${model.layout.count} parameters), ${trainSet.n} training / ${test.n} test examples`);
  const opt = optimizer === 'adam' ? adam({ lr }) : sgd({ lr });
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: opt });
  const stepsPerEpoch = Math.ceil(trainSet.n / batch);
  const tty = stderrIsTerminal() && !flags.has('quiet');
  let lastLoss = NaN;
  const t0 = performance.now();
  const result = await fit(net, trainSet, {
    epochs,
    batchSize: batch,
    seed,
    learningRate: scheduleName === 'cosine' ? cosine({ lr, steps: epochs * stepsPerEpoch }) : lr,
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
  return saveAndClose(net, rt, values.save);
}
