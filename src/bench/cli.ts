// `npm run bench`: every suite on this machine's WebGPU adapter (Dawn in Node), with the peer libraries
// side by side when they load; prints tables and writes a JSON file of every figure.
import { writeFile } from 'node:fs/promises';
import { createRuntime } from '../runtime.js';
import { tuneMatmul } from '../kernels/autotune.js';
import { DEFAULT_SUITES, PEER_SUITES, SUITES, formatReport, runBenchmarks, type PeerRunner, type Suite } from './suite.js';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (args.includes('--help')) {
  console.log(`usage: npm run bench [-- options]
  --suite=matmul,conv,memory,train,cold   suites to run (default matmul,memory,train,cold; conv adds the
                                         convolution layers and LeNet-5's training step)
  --sizes=64,128,256,512,1024        square matmul sizes
  --params=10000000                  parameters for the memory-bound kernels and optimizer updates
  --optimizers=sgd,adam              optimizer updates to time
  --no-peers                         skip TensorFlow.js and jax-js
  --retune                           measure the matmul tuning again instead of using the cached one
  --out=bench-results.json           where to write every figure as JSON`);
  process.exit(0);
}
const suites = (arg('suite') ?? DEFAULT_SUITES.join(',')).split(',') as Suite[];
const unknown = suites.filter((s) => !SUITES.includes(s));
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}: expected some of ${SUITES.join(', ')}`);
  process.exit(2);
}
const rt = await createRuntime();
console.log(`adapter: ${rt.description}`);
const tuning = await tuneMatmul(rt, { force: args.includes('--retune'), log: (l) => console.log(`tuning ${l}`) });
console.log(`matmul tuning (${tuning.measuredAt}): ${JSON.stringify(tuning.choices)}`);
let peers: PeerRunner[] = [];
let peerErrors: { name: string; version: string; error: string }[] = [];
if (!args.includes('--no-peers') && suites.some((s) => PEER_SUITES.includes(s))) {
  const loaded = await (await import('./peers/runner.js')).loadPeerRunners(rt);
  peers = loaded.peers;
  peerErrors = loaded.errors;
}
const report = await runBenchmarks(rt, {
  suites,
  sizes: arg('sizes')?.split(',').map(Number),
  parameters: arg('params') ? Number(arg('params')) : undefined,
  optimizers: arg('optimizers')?.split(','),
  peers,
  peerErrors,
  environment: `Node ${process.version}, Dawn (npm webgpu)`,
  log: (l) => console.log(`  ${l}`),
});
console.log(`\n${formatReport(report)}`);
const out = arg('out') ?? 'bench-results.json';
await writeFile(out, JSON.stringify(report, null, 1));
console.log(`\nwrote ${out}`);
rt.destroy();
process.exit(0);
