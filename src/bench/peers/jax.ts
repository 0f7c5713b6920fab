// jax-js on its WebGPU backend, on the adapter Descent uses.
import type * as JAX from '@jax-js/jax';
import { describeAdapter } from '../../gpu/device.js';
import { Rng } from '../../util/rng.js';
import { convFlops, convOutput } from '../conv.js';
import {
  DeviceErrors,
  LENET_CONVS,
  LENET_DENSE,
  defaultLr,
  glorot,
  lenetBatches,
  mlpProblem,
  randomMatrix,
  timeFlops,
  timeMatmul,
  timeTraining,
} from './common.js';
import type { PeerGptOptions } from './gpt-common.js';
import { adamUpdate, type AdamState } from './jax-adam.js';
import { jaxGptTrain } from './jax-gpt.js';
import type { Peer, PeerCnnOptions, PeerConvOptions, PeerLoadFailure, PeerMatmulOptions, PeerMlpOptions } from './types.js';
import { setupPeerEnvironment, sharedGpu } from './webgpu-env.js';

/** jax-js does not export its version; this is the one package.json pins (checked by test/bench-peers.test.ts). */
export const JAX_VERSION = '0.1.25';

type Arr = JAX.Array;
/** Training state: parameters [w0, b0, w1, b1, ...], Adam's moments of the same layout (empty for SGD), step count. */
type State = AdamState;

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

  private upload(data: Float32Array | Int32Array, shape: number[]): Arr {
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
    const { numpy: np, nn } = this.jax;
    const pr = mlpProblem(o.layers, o.batch, o.seed ?? 1);
    const L = o.layers.length - 1;
    const p0 = pr.weights.flatMap((w, i) => [this.upload(w, [o.layers[i]!, o.layers[i + 1]!]), this.upload(pr.biases[i]!, [o.layers[i + 1]!])]);
    // Every array is used once, or taken with .ref before a second use.
    return this.train(o, p0, pr, [o.layers[0]!, o.layers[L]!], (p, x) => {
      let h = x;
      for (let i = 0; i < L; i++) {
        h = np.matmul(h, p[2 * i]!).add(p[2 * i + 1]!);
        if (i < L - 1) h = nn.relu(h);
      }
      return h;
    });
  }

  async cnnTrainStep(o: PeerCnnOptions) {
    this.check();
    const { numpy: np, nn, lax } = this.jax;
    const rng = new Rng(o.seed ?? 1);
    const B = o.batch;
    // jax-js convolves NCHW images with OIHW filters (lax.conv_general_dilated's default dimension numbers).
    const p0 = [
      ...LENET_CONVS.flatMap(({ k, c, oc }) => [
        this.upload(glorot(rng, oc * c * k * k, c * k * k, oc * k * k), [oc, c, k, k]),
        np.zeros([oc], { device: 'webgpu' }),
      ]),
      ...LENET_DENSE.slice(1).flatMap((fout, i) => [
        this.upload(glorot(rng, LENET_DENSE[i]! * fout, LENET_DENSE[i]!, fout), [LENET_DENSE[i]!, fout]),
        np.zeros([fout], { device: 'webgpu' }),
      ]),
    ];
    const data = lenetBatches(B, rng);
    // Max pooling 2x2 by a reshape and a max over the two window axes.
    const pool = (h: Arr) => {
      const [n, c, hh, ww] = h.shape as [number, number, number, number];
      return h.reshape([n, c, hh / 2, 2, ww / 2, 2]).max([3, 5]);
    };
    const conv = (h: Arr, w: Arr, b: Arr, pad: 'SAME' | 'VALID', oc: number) => pool(nn.relu(lax.conv(h, w, [1, 1], pad).add(b.reshape([1, oc, 1, 1]))));
    return this.train({ ...o, layers: [784, 10] }, p0, data, [784, 10], (p, x) => {
      let h = conv(conv(x.reshape([B, 1, 28, 28]), p[0]!, p[1]!, 'SAME', 6), p[2]!, p[3]!, 'VALID', 16).reshape([B, 400]);
      for (let i = 0; i < 3; i++) {
        h = np.matmul(h, p[4 + 2 * i]!).add(p[5 + 2 * i]!);
        if (i < 2) h = nn.relu(h);
      }
      return h;
    });
  }

  async gptTrainStep(o: PeerGptOptions) {
    this.check();
    return jaxGptTrain(this.jax, o, { upload: (d, s) => this.upload(d, s), submit: (a) => this.submit(a), sync: () => this.sync() });
  }

  /**
   * The training loop both models share: `logits(p, x)` on parameters p (taken, not borrowed), mean softmax
   * cross-entropy, and the update, the whole step under one jit.
   */
  private async train(
    o: PeerMlpOptions,
    p0: Arr[],
    data: { xs: Float32Array[]; ys: Float32Array[] },
    dims: [number, number],
    logits: (p: Arr[], x: Arr) => Arr,
  ) {
    const { numpy: np, nn, jit, valueAndGrad, tree } = this.jax;
    const lr = defaultLr(o);
    const adam = o.optimizer === 'adam';
    const lossFn = (p: Arr[], x: Arr, y: Arr): Arr =>
      nn
        .logSoftmax(logits(p, x), -1)
        .mul(y)
        .sum()
        .mul(-1 / o.batch);
    // jax-js has no optax: Adam written out (jax-adam.ts).
    const step = jit((s: State, x: Arr, y: Arr): [Arr, State] => {
      const [loss, g] = valueAndGrad(lossFn)(
        s.p.map((a) => a.ref),
        x,
        y,
      );
      if (!adam) return [loss, { p: s.p.map((a, i) => a.sub(g[i]!.mul(lr))), m: [], v: [], t: s.t.add(1) }];
      return [loss, adamUpdate(np, s, g, lr)];
    });

    const zeros = () => (adam ? p0.map((a) => np.zeros(a.shape, { device: 'webgpu' })) : []);
    let state: State = { p: p0, m: zeros(), v: zeros(), t: np.zeros([], { device: 'webgpu' }) };
    try {
      return await timeTraining<Arr>(o, {
        step: (bi, keep) => {
          // Uploading the batch every step, as Descent's benchmark writes each batch into its input buffer.
          const [loss, next] = step(state, this.upload(data.xs[bi]!, [o.batch, dims[0]]), this.upload(data.ys[bi]!, [o.batch, dims[1]]));
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

  async conv(o: PeerConvOptions) {
    this.check();
    const { lax, jit, grad } = this.jax;
    const l = o.layer;
    const [oh, ow] = convOutput(l);
    const rng = new Rng(l.h * 1000 + l.c * 10 + l.oc);
    const make = (shape: number[]) => this.upload(rng.floats(shape.reduce((a, b) => a * b, 1)), shape);
    const x = make([l.batch, l.c, l.h, l.w]);
    const w = make([l.oc, l.c, l.k, l.k]);
    const b = make([l.oc]);
    const dy = make([l.batch, l.oc, oh, ow]);
    const pad = l.padding === 'same' ? 'SAME' : 'VALID';
    const fwd = (xx: Arr, ww: Arr, bb: Arr) => lax.conv(xx, ww, [1, 1], pad).add(bb.reshape([1, l.oc, 1, 1]));
    // The gradients as a training step gets them: grad of <forward, dy> under jit (which keeps only what they need).
    const once = {
      forward: jit((xx: Arr, ww: Arr, bb: Arr, _dy: Arr): Arr[] => (_dy.dispose(), [fwd(xx, ww, bb)])),
      dx: jit((xx: Arr, ww: Arr, bb: Arr, d: Arr): Arr[] => [grad((v: Arr) => fwd(v, ww, bb).mul(d).sum())(xx)]),
      'dw+db': jit((xx: Arr, ww: Arr, bb: Arr, d: Arr): Arr[] => grad((v: Arr, u: Arr) => fwd(xx, v, u).mul(d).sum(), { argnums: [0, 1] })(ww, bb)),
    }[o.pass];
    try {
      return await timeFlops(
        convFlops(l),
        async (k) => {
          for (let i = 0; i < k; i++) for (const a of once(x.ref, w.ref, b.ref, dy.ref)) this.submit(a);
          await this.sync();
        },
        o,
      );
    } finally {
      once.dispose();
      for (const a of [x, w, b, dy]) a.dispose();
    }
  }

  dispose(): void {
    // jax-js cannot restart a backend, so its device stays; what this peer made is freed after each run.
    this.disposed = true;
    this.errors.stop();
  }
}
