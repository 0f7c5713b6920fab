// Peer libraries timed beside Descent on the same adapter, in the same process: TF.js (WebGPU backend) and jax-js.
import { loadPeer as loadTfjs } from './tfjs.js';
import { loadPeer as loadJax } from './jax.js';
import type { Peer, PeerLoadFailure, PeerName } from './types.js';

export type * from './types.js';
export { isPeer } from './types.js';
export { setupPeerEnvironment, sharedGpu } from './webgpu-env.js';
export { loadTfjs, loadJax };

export const PEER_LOADERS: Record<PeerName, (gpu?: GPU) => Promise<Peer | PeerLoadFailure>> = { tfjs: loadTfjs, jax: loadJax };

/**
 * Load the named peers (default all) on `gpu`, default the GPU object Descent runs on (create a Descent runtime
 * first in Node). One that cannot load comes back as `{ name, error }`.
 */
export async function loadPeers(names: readonly PeerName[] = ['tfjs', 'jax'], gpu?: GPU): Promise<(Peer | PeerLoadFailure)[]> {
  const out: (Peer | PeerLoadFailure)[] = [];
  for (const n of names) out.push(await PEER_LOADERS[n](gpu));
  return out;
}
