// Runs once before the suites: names the adapter the GPU tests use, or says how to get one.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createRuntime } from '../../src/runtime.js';

export default async function setup(): Promise<void> {
  // Test files run two at a time: the command-line bundle is brought up to date here, once, so that no two
  // files' `descent` processes rebuild dist/node at the same moment.
  execFileSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'descent.js'), '--help'], {
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  try {
    const rt = await createRuntime({ shaders: () => '' });
    const f = [...rt.features].join(', ') || 'none';
    console.log(`\n[descent] WebGPU adapter: ${rt.description} (optional features: ${f})\n`);
    rt.destroy();
  } catch (e) {
    console.error(`\n[descent] NO WEBGPU ADAPTER - every GPU test will fail.\n${(e as Error).message}\n`);
  }
}
