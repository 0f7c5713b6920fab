// jax-js on its WebGPU backend, on the adapter Descent uses.
import type * as JAX from '@jax-js/jax';
import { describeAdapter } from '../../gpu/device.js';
import { ADAM, DeviceErrors, defaultLr, mlpProblem, randomMatrix, timeMatmul, timeTraining } from './common.js';
import type { Peer, PeerLoadFailure, PeerMatmulOptions, PeerMlpOptions } from './types.js';
import { setupPeerEnvironment, sharedGpu } from './webgpu-env.js';

/** jax-js does not export its version; this is the one package.json pins (checked by test/bench-peers.test.ts). */
export const JAX_VERSION = '0.1.25';

type Arr = JAX.Array;
/** Training state: parameters [w0, b0, w1, b1, ...], Adam's moments of the same layout (empty for SGD), step count. */
type State = { p: Arr[]; m: Arr[]; v: Arr[]; t: Arr };

/** Load jax-js and start its WebGPU backend (its own device on the shared adapter). Never throws. */
export async function loadPeer(gpu?: GPU): Promise<Peer | PeerLoadFailure> {
  try {
    setupPeerEnvironment(gpu ?? sharedGpu());
    const jax = await import('@jax-js/jax');
    const devices = await jax.init('webgpu');
    if (!devices.includes('webgpu')) throw new Error(`jax-js started no WebGPU backend (devices: ${devices.join(', ')})`);
    jax.defaultDevice('webgpu');
    return new JaxPeer(jax, jax.getWebGPUDevice());
  } catch (e) {
    return { name: 'jax', error: e instanceof Error ? e.message : String(e) };
  }
}

class JaxPeer implements Peer {
  readonly name = 'jax' as const;
  readonly version = JAX_VERSION;
  readonly adapter: string;
  private disposed = false;
  private readonly errors: DeviceErrors;

  constructor(
    private readonly jax: typeof JAX,
    private readonly device: GPUDevice,
  ) {
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    this.adapter = info ? describeAdapter(info) : 'unknown adapter';
    this.errors = new DeviceErrors(device, 'jax-js');
  }

  private check(): void {
    if (this.disposed) throw new Error('this jax-js peer was disposed');
  }

  private upload(data: Float32Array, shape: number[]): Arr {
    return this.jax.numpy.array(data, { shape, device: 'webgpu' });
  }

  /**
   * jax-js is lazy: an array's kernels are submitted only when something needs it, and a result disposed unread is
   * never computed. `gpuBuffer()` submits the array's pending work without reading anything back (and gives up the
   * reference); then `onSubmittedWorkDone` waits for the GPU, exactly as Descent's benchmark waits.
   */
  private submit(a: Arr): void {
    a.gpuBufferSync();
  }

  private async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
    this.errors.check();
  }

  async matmul(n: number, options?: PeerMatmulOptions) {
    this.check();
    const np = this.jax.numpy;
    const a = this.upload(randomMatrix(n, n), [n, n]);
    const b = this.upload(randomMatrix(n, n + 1), [n, n]);
    try {
      return await timeMatmul(
        n,
        async (k) => {
          for (let i = 0; i < k; i++) this.submit(np.matmul(a.ref, b.ref));
          await this.sync();
        },
        options,
      );
    } finally {
      a.dispose();
      b.dispose();
    }
  }

  async mlpTrainStep(o: PeerMlpOptions) {
    this.check();
    const { numpy: np, nn, jit, valueAndGrad, tree } = this.jax;
    const pr = mlpProblem(o.layers, o.batch, o.seed ?? 1);
    const L = o.layers.length - 1;
    const lr = defaultLr(o);
    const adam = o.optimizer === 'adam';
    const { beta1: b1, beta2: b2, eps } = ADAM;

    // Mean softmax cross-entropy of the MLP; every array is used once, or taken with .ref before a second use.
    const lossFn = (p: Arr[], x: Arr, y: Arr): Arr => {
      let h = x;
      for (let i = 0; i < L; i++) {
        h = np.matmul(h, p[2 * i]!).add(p[2 * i + 1]!);
        if (i < L - 1) h = nn.relu(h);
      }
      return nn
        .logSoftmax(h, -1)
        .mul(y)
        .sum()
        .mul(-1 / o.batch);
    };
    // The whole step under one jit: forward, backward, and the update (jax-js has no optax: Adam written out,
    // PyTorch's form as in TF.js and Descent: p -= lr * m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps)).
    const step = jit((s: State, x: Arr, y: Arr): [Arr, State] => {
      const [loss, g] = valueAndGrad(lossFn)(
        s.p.map((a) => a.ref),
        x,
        y,
      );
      const t = s.t.add(1);
      if (!adam) return [loss, { p: s.p.map((a, i) => a.sub(g[i]!.mul(lr))), m: [], v: [], t }];
      const c1 = np.subtract(1, np.power(b1, t.ref));
      const c2 = np.subtract(1, np.power(b2, t.ref));
      const p: Arr[] = [];
      const m: Arr[] = [];
      const v: Arr[] = [];
      s.p.forEach((pi, i) => {
        const gi = g[i]!;
        const mi = s.m[i]!.mul(b1).add(gi.ref.mul(1 - b1));
        const vi = s.v[i]!.mul(b2).add(gi.ref.mul(gi).mul(1 - b2));
        const denom = np.sqrt(vi.ref.div(c2.ref)).add(eps);
        p.push(pi.sub(mi.ref.div(c1.ref).mul(lr).div(denom)));
        m.push(mi);
        v.push(vi);
      });
      c1.dispose();
      c2.dispose();
      return [loss, { p, m, v, t }];
    });

    const p0 = pr.weights.flatMap((w, i) => [this.upload(w, [o.layers[i]!, o.layers[i + 1]!]), this.upload(pr.biases[i]!, [o.layers[i + 1]!])]);
    const zeros = () => (adam ? p0.map((a) => np.zeros(a.shape, { device: 'webgpu' })) : []);
    let state: State = { p: p0, m: zeros(), v: zeros(), t: np.zeros([], { device: 'webgpu' }) };
    try {
      return await timeTraining<Arr>(o, {
        step: (bi, keep) => {
          // Uploading the batch every step, as Descent's benchmark writes each batch into its input buffer.
          const [loss, next] = step(state, this.upload(pr.xs[bi]!, [o.batch, o.layers[0]!]), this.upload(pr.ys[bi]!, [o.batch, o.layers[L]!]));
          state = next;
          // Submit this step's kernels now (no wait), as Descent submits one command buffer per step.
          for (const a of tree.leaves(state) as Arr[]) this.submit(a.ref);
          if (keep) return loss;
          loss.dispose();
          return undefined;
        },
        sync: () => this.sync(),
        read: async (loss) => (await loss.data())[0]!,
      });
    } finally {
      tree.dispose(state);
      step.dispose();
    }
  }

  dispose(): void {
    // jax-js cannot restart a backend, so its device stays; what this peer made is freed after each run.
    this.disposed = true;
    this.errors.stop();
  }
}
