// `descent`: the command line. `descent train --help` lists the training options.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DescentError } from '../core/errors.js';
import { UsageError } from './args.js';
import { CHILD_ENV, runFiltered } from './quiet.js';
import { train, TRAIN_HELP } from './train.js';
import { GPT_HELP, wantsGpt } from './train-gpt.js';

const USAGE = `usage: descent <command> [options]

commands:
  train    train a model on the GPU (Dawn in Node) and report its test accuracy (or a GPT's bits per character)
  bench    kernel throughput on this machine's adapter (same as npm run bench)

descent <command> --help shows the command's options.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 1;
  }
  if (command === 'train') {
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(wantsGpt(rest) ? GPT_HELP : TRAIN_HELP);
      return 0;
    }
    return train(rest);
  }
  if (command === 'bench') {
    // The benchmark bundles TF.js and jax-js, so it is built apart (dist/bench) and only in a repository checkout.
    const bench = new URL('../bench/bench.js', import.meta.url);
    if (!existsSync(bench)) {
      console.error('descent: the benchmark is not part of the installed package; run it from a clone of the repository: npm ci && npm run bench');
      return 1;
    }
    // The benchmark reads its options from process.argv, where 'bench' itself is not one.
    process.argv.splice(2, 1);
    await import(/* @vite-ignore */ bench.href);
    return 0;
  }
  console.error(`descent: unknown command '${command}'\n\n${USAGE}`);
  return 1;
}

const argv = process.argv.slice(2);
// The commands that open the GPU run in a child whose stderr is rid of Dawn's limit warnings (see quiet.ts).
const relaunch = ['train', 'bench'].includes(argv[0] ?? '') && !process.env[CHILD_ENV];
(relaunch ? runFiltered(fileURLToPath(import.meta.url), argv) : main(argv)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof DescentError) console.error(`descent: ${e.message}`);
    else console.error(e);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
