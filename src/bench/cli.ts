// `npm run bench`: every suite on this machine's WebGPU adapter (Dawn in Node), with the peer libraries side by
// side; prints tables and writes a JSON file of every figure. The parent starts one child process per system
// (this same file with --only=descent|tfjs|jax, see parent.ts and child.ts) and touches no GPU itself.
import { writeFile } from 'node:fs/promises';
import { HELP, UsageError, parseBenchArgs, type BenchArgs } from './args.js';
import { runPart } from './child.js';
import { runParts } from './parent.js';
import { formatReport } from './suite.js';

const argv = process.argv.slice(2);
let a: BenchArgs;
try {
  a = parseBenchArgs(argv);
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  console.error(`${e.message}\n\n${HELP}`);
  process.exit(2);
}
if (a.help) {
  console.log(HELP);
  process.exit(0);
}
// Durations only, each measured inside one child with performance.now() (the OS's monotonic clock) or GPU timestamps.
const environment = `Node ${process.version}, Dawn (npm webgpu); each system in its own child process, one after another`;
if (a.only) await runPart(a.only, a, environment);
const t0 = performance.now();
const { report, exitCode } = await runParts(a, { argv, environment, log: (l) => console.log(l) });
console.log(`\n${formatReport(report)}`);
await writeFile(a.out, JSON.stringify(report, null, 1));
console.log(`\nwrote ${a.out} (the whole run took ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
if (exitCode !== 0) console.error(`Descent's part did not finish: ${report.parts?.find((p) => p.system === 'descent')?.detail ?? 'unknown'}`);
process.exit(exitCode);
