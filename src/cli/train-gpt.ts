// `descent train --dataset sonnets --model gpt`: a character-level GPT on Shakespeare's sonnets, trained on the GPU
// with AdamW and a warm-up + cosine schedule on random windows, reporting bits per character, then the validation
// loss next to the bigram baseline and a sample generated with the key/value cache.
import { createRuntime } from '../runtime.js';
import { bigramBaseline, loadSonnets, sequenceBatches, sequenceWindows } from '../data/text.js';
import { gpt } from '../nn/zoo.js';
import { adamw } from '../optim/adam.js';
import { cosine, linearWarmup } from '../optim/schedules.js';
import { Network } from '../train/network.js';
import { saveAndClose } from './finish.js';
import { helpText, numberOption, parseArgs, UsageError, type OptionSpec } from './args.js';

const OPTIONS: OptionSpec[] = [
  { name: 'dataset', help: 'sonnets (Shakespeare, characters)', default: 'sonnets' },
  { name: 'model', help: 'gpt', default: 'gpt' },
  { name: 'steps', help: 'training steps (batches)', default: '600' },
  { name: 'layers', help: 'transformer blocks', default: '2' },
  { name: 'heads', help: 'attention heads per block', default: '4' },
  { name: 'channels', help: 'embedding width (a multiple of --heads)', default: '64' },
  { name: 'context', help: 'characters per window', default: '64' },
  { name: 'batch', help: 'windows per step', default: '16' },
  { name: 'lr', help: 'peak AdamW learning rate (linear warm-up, then cosine decay to 0)', default: '0.006' },
  { name: 'seed', help: 'seed for initialisation, batches and sampling', default: '1' },
  { name: 'log-every', help: 'steps between progress lines', default: '50' },
  { name: 'sample-tokens', help: 'characters to generate after training (0: none)', default: '300' },
  { name: 'temperature', help: 'sampling temperature (0: greedy)', default: '0.8' },
  { name: 'top-k', help: 'sample among the k most likely characters (0: all)', default: '0' },
  { name: 'prompt', help: 'text the sample continues', default: 'Shall I ' },
  { name: 'save', help: 'write the trained parameters to this .safetensors file' },
  { name: 'quiet', help: 'accepted for symmetry with the other models (progress lines are always printed)', flag: true },
];

export const GPT_HELP = `usage: descent train --dataset sonnets --model gpt [options]

A character-level GPT (token and position embeddings, pre-LayerNorm transformer blocks, tied output layer) on
Shakespeare's sonnets (I-CXXXIX train, CXL-CLIV validation), AdamW with weight decay, warm-up then cosine decay.
Prints the training loss in bits per character with tokens/s, the validation bits per character next to the
bigram model's, and a sample generated with the key/value cache.

options:
${helpText(OPTIONS)}

example:
  npx descent train --dataset sonnets --model gpt --steps 600 --sample-tokens 300`;

/** Whether argv asks for the GPT path (--model gpt or --dataset sonnets). */
export function wantsGpt(argv: readonly string[]): boolean {
  const value = (name: string) => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    return i < 0 ? undefined : argv[i]!.includes('=') ? argv[i]!.slice(name.length + 3) : argv[i + 1];
  };
  return value('model') === 'gpt' || value('dataset') === 'sonnets';
}

/** Run `descent train` for the GPT; returns the exit code. */
export async function trainGpt(argv: string[]): Promise<number> {
  const { values } = parseArgs(argv, OPTIONS);
  if (values.model !== 'gpt') throw new UsageError(`--dataset sonnets needs --model gpt, got '${values.model}'`);
  if (values.dataset !== 'sonnets') throw new UsageError(`--model gpt needs --dataset sonnets (text), got '${values.dataset}'`);
  const int = (name: string, min: number, max?: number) => numberOption(values, name, { integer: true, min, ...(max !== undefined ? { max } : {}) });
  const steps = int('steps', 1);
  const layers = int('layers', 1);
  const heads = int('heads', 1);
  const channels = int('channels', 1);
  const context = int('context', 1, 2048);
  const batch = int('batch', 1);
  const seed = int('seed', 0);
  const logEvery = int('log-every', 1);
  const sampleTokens = int('sample-tokens', 0);
  const topK = int('top-k', 0);
  const lr = numberOption(values, 'lr', { min: 0 });
  const temperature = numberOption(values, 'temperature', { min: 0 });
  if (channels % heads !== 0) throw new UsageError(`--channels (${channels}) must be a multiple of --heads (${heads})`);
  if (channels / heads > 64) throw new UsageError(`--channels / --heads is the head size, at most 64; got ${channels / heads}`);

  const corpus = await loadSonnets();
  const tok = corpus.tokenizer;
  if (topK > tok.size) throw new UsageError(`--top-k must be at most the vocabulary (${tok.size} characters), got ${topK}`);
  const prompt = [...values.prompt!].filter((c) => tok.vocab.includes(c)).join('');
  if (prompt.length === 0) throw new UsageError(`--prompt needs at least one character of the sonnets' vocabulary, got '${values.prompt}'`);
  const trainIds = tok.encode(corpus.train);
  const validIds = tok.encode(corpus.validation);
  const baseline = bigramBaseline(trainIds, validIds, tok.size);

  const rt = await createRuntime();
  console.log(`adapter: ${rt.description}`);
  const model = gpt({ vocab: tok.size, context, layers, heads, channels, tie: true, seed });
  console.log(
    `model: gpt ${layers} layers, ${heads} heads, ${channels} channels, context ${context}, vocabulary ${tok.size} (${model.layout.count} parameters); ` +
      `${trainIds.length} training / ${validIds.length} validation characters`,
  );
  const net = await Network.compile(rt, model, { loss: 'cross_entropy', optimizer: adamw({ lr }) });
  const warmup = Math.max(1, Math.min(100, Math.floor(steps / 10)));
  const schedule = linearWarmup(cosine({ lr, steps }), warmup);
  const batches = sequenceBatches(trainIds, { context, batch, seed });
  const plan = await net.plan(batch, true);
  let sum = 0;
  let count = 0;
  let lastStep = 0;
  let lastTime = performance.now();
  const t0 = lastTime;
  const report = (step: number) => {
    const now = performance.now();
    const tokensPerSecond = ((step - lastStep) * batch * context) / ((now - lastTime) / 1000);
    console.log(`step ${step}/${steps}: loss ${(sum / count / Math.LN2).toFixed(3)} bits per character, ${Math.round(tokensPerSecond)} tokens/s`);
    [sum, count, lastStep, lastTime] = [0, 0, step, now];
  };
  net.onStep((m) => {
    sum += m.loss;
    count++;
  });
  for (let step = 0; step < steps; step++) {
    const b = batches.next();
    await net.trainStep(plan, b.x, b.y, schedule(step + 1));
    if ((step + 1) % logEvery === 0 || step + 1 === steps) {
      await net.flush();
      if (count > 0) report(step + 1);
    }
  }
  if (net.failure) throw net.failure;
  const seconds = (performance.now() - t0) / 1000;
  console.log(`trained ${steps} steps in ${seconds.toFixed(1)} s: ${Math.round((steps * batch * context) / seconds)} tokens/s overall`);
  const valid = sequenceWindows(validIds, context);
  const ev = await net.evaluate({ x: valid.x, y: valid.y }, { batchSize: batch });
  console.log(`validation: ${(ev.loss / Math.LN2).toFixed(3)} bits per character (bigram baseline ${baseline.bitsPerChar.toFixed(3)})`);
  if (sampleTokens > 0) {
    const ids = await net.generate(tok.encode(prompt), { tokens: sampleTokens, temperature, topK, seed });
    console.log(`sample (temperature ${temperature}${topK ? `, top-k ${topK}` : ''}, seed ${seed}):\n${prompt}${tok.decode(ids)}`);
  }
  return saveAndClose(net, rt, values.save);
}
