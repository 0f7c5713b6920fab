// `npm run bench`'s command line: every suite runs by default (conv and LeNet-5 included), --suite picks some,
// and a bad option is a usage error naming it and what was expected; the help text says all of it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_S, HELP, UsageError, childArgs, parseBenchArgs } from '../src/bench/args.js';
import { systemsFor } from '../src/bench/parent.js';
import { DEFAULT_SUITES, SUITES } from '../src/bench/suite.js';

describe('npm run bench: command line', () => {
  it('runs every suite by default, the conv suite included, with both peers', () => {
    const a = parseBenchArgs([]);
    expect(DEFAULT_SUITES).toEqual(SUITES);
    expect(a.suites).toEqual(['matmul', 'conv', 'memory', 'train', 'gpt', 'cold']);
    expect(a).toMatchObject({
      help: false,
      peers: true,
      retune: false,
      out: 'bench-results.json',
      timeoutS: DEFAULT_TIMEOUT_S,
      sizes: [64, 128, 256, 512, 1024],
    });
    expect(a.only).toBeUndefined();
    expect(systemsFor(a)).toEqual(['descent', 'tfjs', 'jax']);
  });

  it('--suite picks suites; without a peer suite or with --no-peers only Descent runs', () => {
    const a = parseBenchArgs(['--suite=conv,train', '--sizes=64,128', '--params=4096', '--optimizers=adam', '--retune', '--timeout=60', '--out=x.json']);
    expect(a).toMatchObject({ suites: ['conv', 'train'], sizes: [64, 128], parameters: 4096, optimizers: ['adam'], retune: true, timeoutS: 60, out: 'x.json' });
    expect(systemsFor(a)).toEqual(['descent', 'tfjs', 'jax']);
    expect(systemsFor(parseBenchArgs(['--suite=memory,cold']))).toEqual(['descent']);
    expect(systemsFor(parseBenchArgs(['--no-peers']))).toEqual(['descent']);
    expect(parseBenchArgs(['--only=tfjs']).only).toBe('tfjs');
    // The gpt suite has a peer side: both peers run for it alone.
    expect(parseBenchArgs(['--suite=gpt']).suites).toEqual(['gpt']);
    expect(systemsFor(parseBenchArgs(['--suite=gpt']))).toEqual(['descent', 'tfjs', 'jax']);
  });

  it('a bad option is a usage error naming it and what is expected', () => {
    const bad = (argv: string[], message: RegExp) => {
      expect(() => parseBenchArgs(argv)).toThrow(UsageError);
      expect(() => parseBenchArgs(argv)).toThrow(message);
    };
    bad(['--suite=conv,gpu'], /unknown suite gpu: expected some of matmul, conv, memory, train, gpt, cold/);
    bad(['--suite='], /unknown suite \(none\)/);
    bad(['--only=torch'], /--only=torch: expected one of descent, tfjs, jax/);
    bad(['--timeout=0'], /--timeout=0: expected a positive whole number/);
    bad(['--sizes=64,x'], /--sizes=x: expected a positive whole number/);
    bad(['--optimizers=adam,adamx'], /unknown optimizer 'adamx': expected some of .*adam/);
    bad(['--sute=conv'], /unknown option --sute=conv: expected --suite=\.\.\./);
  });

  it('a child gets the parent command line with --only, and without what only the parent uses', () => {
    expect(childArgs(['--suite=conv', '--out=r.json', '--timeout=9', '--no-peers'], 'jax')).toEqual(['--suite=conv', '--no-peers', '--only=jax']);
  });

  it('the help text names every suite, the default, the peers, the time limit and the child processes', () => {
    expect(HELP).toMatch(/^usage: npm run bench \[-- options\]/);
    expect(HELP).toContain(`--suite=${SUITES.join(',')}`);
    expect(HELP).toContain('(default: all; train includes LeNet-5');
    expect(HELP).toContain('conv2d layers of LeNet-5 and a ResNet 3x3 layer');
    expect(HELP).toContain('gpt a 2-block GPT');
    for (const o of [
      '--sizes=64,128,256,512,1024',
      '--params=',
      '--optimizers=',
      '--no-peers',
      '--retune',
      `--timeout=${DEFAULT_TIMEOUT_S}`,
      '--only=descent|tfjs|jax',
      '--out=bench-results.json',
    ])
      expect(HELP).toContain(o);
    expect(HELP).toContain('child');
    // The descriptions start in one column.
    const columns = HELP.split('\n')
      .slice(1)
      .filter((l) => l.startsWith('  --'))
      .map((l) => /^ {2}--\S+\s+/.exec(l)![0].length);
    expect(new Set(columns.filter((c) => c < 40)).size).toBe(1);
  });
});
