// The peers as the suite's PeerRunners: load what loads (in Node on Descent's Dawn instance, in a browser
// on navigator.gpu), report the rest as unavailable with the reason.
import type { Runtime } from '../../gpu/runtime.js';
import type { PeerRunner } from '../suite.js';
import { isPeer, loadPeers, type PeerName } from './index.js';

/**
 * Load TF.js and jax-js (or the `names` ones) on the runtime's adapter. Call after createRuntime(). `trainSteps`
 * timed steps per MLP workload (default 100; fewer for a quick run on a slow adapter), `cnnSteps` per LeNet-5
 * workload (default 30: a peer's LeNet step at batch 64 takes most of a second on a software adapter), `gptSteps`
 * per GPT (default 20).
 */
export async function loadPeerRunners(
  rt: Runtime,
  options: { trainSteps?: number; cnnSteps?: number; gptSteps?: number; names?: readonly PeerName[] } = {},
): Promise<{ peers: PeerRunner[]; errors: { name: string; version: string; error: string }[] }> {
  const steps = options.trainSteps ?? 100;
  const cnnSteps = options.cnnSteps ?? Math.min(30, steps);
  // A peer's GPT step (1024 tokens) takes a second or more on a software adapter: 20 timed steps after 3 warm-up.
  const gptSteps = options.gptSteps ?? Math.min(20, steps);
  const loaded = await loadPeers(options.names);
  const peers: PeerRunner[] = [];
  const errors: { name: string; version: string; error: string }[] = [];
  for (const p of loaded) {
    if (!isPeer(p)) {
      errors.push({ name: p.name, version: '', error: p.error });
      continue;
    }
    if (p.adapter !== rt.description && p.adapter !== 'unknown adapter') {
      errors.push({ name: p.name, version: p.version, error: `runs on '${p.adapter}', not on Descent's adapter` });
      continue;
    }
    peers.push({
      name: p.name,
      version: p.version,
      matmul: (n) => p.matmul(n),
      mlpTrainStep: (o) => p.mlpTrainStep({ ...o, steps, warmup: Math.min(5, steps) }),
      conv: (layer, pass) => p.conv({ layer, pass }),
      cnnTrainStep: (o) => p.cnnTrainStep({ ...o, steps: cnnSteps, warmup: Math.min(5, cnnSteps) }),
      gptTrainStep: (spec) => p.gptTrainStep({ spec, steps: gptSteps, warmup: Math.min(3, gptSteps) }),
    });
  }
  return { peers, errors };
}
