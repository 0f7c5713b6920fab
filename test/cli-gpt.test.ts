// `descent train --dataset sonnets --model gpt`, run as a user would (a separate Node process through
// bin/descent.js): a few tiny steps, the bits-per-character lines, the bigram baseline, a sample; argument errors.
import { describe, expect, it } from 'vitest';
import { descent } from './helpers/descent.js';

describe('descent train --model gpt', () => {
  it('trains a tiny GPT on the sonnets, prints bits per character with tokens/s, the validation loss beside the bigram baseline, and a sample', async () => {
    const r = await descent(
      'train',
      '--dataset',
      'sonnets',
      '--model',
      'gpt',
      '--steps',
      '3',
      '--layers',
      '1',
      '--channels',
      '16',
      '--context',
      '8',
      '--batch',
      '4',
      '--log-every',
      '2',
      '--sample-tokens',
      '24',
      '--prompt',
      'Thy ',
      '--seed',
      '5',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/model: gpt 1 layers, 4 heads, 16 channels, context 8, vocabulary \d+ \(\d+ parameters\)/);
    expect(r.out).toMatch(/step 2\/3: loss [\d.]+ bits per character, \d+ tokens\/s/);
    expect(r.out).toMatch(/step 3\/3: loss [\d.]+ bits per character, \d+ tokens\/s/);
    const m = /validation: ([\d.]+) bits per character \(bigram baseline ([\d.]+)\)/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    // Three steps from a near-uniform start: close to log2(vocabulary), far above the bigram's ~3.4.
    expect(Number(m![1])).toBeGreaterThan(4);
    expect(Number(m![2])).toBeGreaterThan(3);
    expect(Number(m![2])).toBeLessThan(4);
    const sample = /sample \(temperature 0\.8, seed 5\):\n([\s\S]*)$/.exec(r.out);
    expect(sample, r.out).not.toBeNull();
    expect(sample![1]!.startsWith('Thy ')).toBe(true);
    expect([...sample![1]!.trimEnd()].length).toBeGreaterThan(4);
  }, 180_000);

  it('documents its options with --help', async () => {
    const r = await descent('train', '--model', 'gpt', '--help');
    expect(r.code).toBe(0);
    for (const opt of [
      '--steps',
      '--layers',
      '--heads',
      '--channels',
      '--context',
      '--batch',
      '--lr',
      '--sample-tokens',
      '--temperature',
      '--top-k',
      '--prompt',
    ])
      expect(r.out).toContain(opt);
    expect((await descent('train', '--help')).out).toContain('--model gpt --help');
  }, 180_000);

  it('rejects bad arguments with the option named and exit code 2, before training', async () => {
    const cases: [string[], RegExp][] = [
      [['--steps', '0'], /--steps must be an integer >= 1, got '0'/],
      [['--channels', '30', '--heads', '4'], /--channels \(30\) must be a multiple of --heads \(4\)/],
      [['--context', '8.5'], /--context must be an integer/],
      [['--temperature', '-1'], /--temperature must be a number >= 0, got '-1'/],
      [['--top-k', '999'], /--top-k must be at most the vocabulary/],
      [['--hidden', '64'], /unknown option --hidden/],
      [['--model', 'mlp'], /--dataset sonnets needs --model gpt, got 'mlp'/],
      [['--dataset', 'mnist', '--model', 'gpt'], /--model gpt needs --dataset sonnets/],
      [['--prompt', '§§'], /--prompt needs at least one character/],
    ];
    for (const [args, message] of cases) {
      const r = await descent('train', '--dataset', 'sonnets', '--model', 'gpt', ...args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).not.toMatch(/step \d+/);
    }
  }, 180_000);
});
