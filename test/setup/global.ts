// Runs once before the suites: names the adapter the GPU tests use, or says how to get one.
import { createRuntime } from '../../src/runtime.js';

export default async function setup(): Promise<void> {
  try {
    const rt = await createRuntime({ shaders: () => '' });
    const f = [...rt.features].join(', ') || 'none';
    console.log(`\n[descent] WebGPU adapter: ${rt.description} (optional features: ${f})\n`);
    rt.destroy();
  } catch (e) {
    console.error(`\n[descent] NO WEBGPU ADAPTER - every GPU test will fail.\n${(e as Error).message}\n`);
  }
}
