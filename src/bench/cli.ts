// `npm run bench`: kernel throughput on this machine's WebGPU adapter (Dawn in Node).
import { createRuntime } from '../gpu/runtime.js';
import { benchMatmul } from './matmul.js';

const args = process.argv.slice(2);
const sizesArg = args.find((a) => a.startsWith('--sizes='));
const sizes = sizesArg ? sizesArg.slice(8).split(',').map(Number) : [256, 512];
if (args.includes('--help')) {
  console.log('usage: npm run bench [-- --sizes=256,512,1024]\n  times every matmul variant on square sizes');
  process.exit(0);
}
const rt = await createRuntime();
console.log(`adapter: ${rt.description}`);
console.log(`features: ${[...rt.features].join(', ') || 'none'}`);
console.log('matmul C = A . B, f32, square; wall clock over back-to-back submits');
console.log(' size  variant          time      throughput');
await benchMatmul(rt, sizes, { log: (l) => console.log(l) });
rt.destroy();
