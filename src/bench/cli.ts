// `npm run bench`: kernel and training throughput on this machine's WebGPU adapter (Dawn in Node).
import { createRuntime } from '../gpu/runtime.js';
import { loadMnist } from '../data/mnist.js';
import { benchMatmul } from './matmul.js';
import { benchTraining } from './train.js';
import { benchUpdates } from './optim.js';
import { OPTIMIZERS } from '../optim/index.js';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (args.includes('--help')) {
  console.log(`usage: npm run bench [-- options]
  --suite=matmul|train|optim|all   what to time (default all)
  --sizes=256,512            square matmul sizes
  --batch=64                 training batch size (MNIST MLP 784-128-10)
  --params=10000000          parameters for the optimizer update benchmark
  --optimizers=sgd,adam      optimizers to time (default all)`);
  process.exit(0);
}
const suite = arg('suite') ?? 'all';
const sizes = (arg('sizes') ?? '256,512').split(',').map(Number);
const batch = Number(arg('batch') ?? 64);
const rt = await createRuntime();
console.log(`adapter: ${rt.description}`);
console.log(`features: ${[...rt.features].join(', ') || 'none'}`);
if (suite === 'all' || suite === 'matmul') {
  console.log('\nmatmul C = A . B, f32, square; wall clock over back-to-back submits');
  console.log(' size  variant          time      throughput');
  await benchMatmul(rt, sizes, { log: (l) => console.log(l) });
}
if (suite === 'all' || suite === 'train') {
  console.log('\ntraining: MNIST MLP, plain SGD, one command buffer per step, metrics read every 10 steps');
  const { train } = await loadMnist();
  await benchTraining(rt, train, { batchSize: batch, log: (l) => console.log(l) });
}
if (suite === 'all' || suite === 'optim') {
  const params = Number(arg('params') ?? 10_000_000);
  const names = (arg('optimizers') ?? Object.keys(OPTIMIZERS).join(',')).split(',');
  console.log(`\noptimizer update, one dispatch over ${params.toLocaleString('en')} parameters, vs copyBufferToBuffer of the same bytes`);
  await benchUpdates(rt, names.map((n) => OPTIMIZERS[n]!()), { parameters: params, log: (l) => console.log(l) });
}
rt.destroy();
