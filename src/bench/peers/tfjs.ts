// TensorFlow.js on its WebGPU backend, on the adapter Descent uses.
import type * as TF from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describeAdapter } from '../../gpu/device.js';
import { Rng } from '../../util/rng.js';
import { convFlops, convOutput } from '../conv.js';
import {
  ADAM,
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
import { tfjsGptTrain } from './tfjs-gpt.js';
import type { Peer, PeerCnnOptions, PeerConvOptions, PeerLoadFailure, PeerMatmulOptions, PeerMlpOptions } from './types.js';
import { setupPeerEnvironment, sharedGpu } from './webgpu-env.js';

/**
 * Load TF.js with its WebGPU backend. The environment must be in place before the import: TF.js registers the
 * backend at import time only if `navigator.gpu` exists. `@tensorflow/tfjs` (not tfjs-core alone) is what
 * registers the gradients. Never throws: a failure comes back as `{ name, error }`.
 */
export async function loadPeer(gpu?: GPU): Promise<Peer | PeerLoadFailure> {
  try {
    setupPeerEnvironment(gpu ?? sharedGpu());
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed (see the warning above)');
    await tf.ready();
    if (tf.getBackend() !== 'webgpu') throw new Error(`TF.js runs on '${tf.getBackend()}', not webgpu`);
    return new TfjsPeer(tf, tf.backend() as WebGPUBackend);
  } catch (e) {
    return { name: 'tfjs', error: e instanceof Error ? e.message : String(e) };
  }
}

class TfjsPeer implements Peer {
  readonly name = 'tfjs' as const;
  readonly version: string;
  readonly adapter: string;
  private disposed = false;
  private readonly errors: DeviceErrors;

  constructor(
    private readonly tf: typeof TF,
    private readonly backend: WebGPUBackend,
  ) {
    this.version = tf.version.tfjs;
    const info = (backend.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    this.adapter = info ? describeAdapter(info) : 'unknown adapter';
    this.errors = new DeviceErrors(backend.device, 'TF.js');
  }

  /**
   * Submit what TF.js has recorded and wait for the GPU. TF.js records dispatches into a command encoder and
   * submits every few of them; `submitQueue()` flushes the rest, and `onSubmittedWorkDone` is the same wait
   * Descent's benchmark uses. A `data()` read would add a copy and a map per measurement, which Descent does not pay.
   */
  private async sync(): Promise<void> {
    this.submit();
    await this.backend.device.queue.onSubmittedWorkDone();
    this.errors.check();
  }

  /** Close TF.js's open compute pass and submit its command buffer, as TF.js itself does before a read. */
  private submit(): void {
    this.backend.ensureCommandEncoderReady();
    this.backend.endComputePassEncoder();
    this.backend.submitQueue();
  }

  private check(): void {
    if (this.disposed) throw new Error('this TF.js peer was disposed');
  }

  async matmul(n: number, options?: PeerMatmulOptions) {
    this.check();
    const tf = this.tf;
    const a = tf.tensor2d(randomMatrix(n, n), [n, n]);
    const b = tf.tensor2d(randomMatrix(n, n + 1), [n, n]);
    try {
      // Each product is freed as soon as it is recorded: TF.js keeps its buffer until the submit, then reuses it,
      // as Descent writes every product into one output buffer.
      return await timeMatmul(
        n,
        async (k) => {
          for (let i = 0; i < k; i++) tf.matMul(a, b).dispose();
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
    const tf = this.tf;
    const p = mlpProblem(o.layers, o.batch, o.seed ?? 1);
    const L = o.layers.length - 1;
    // Under tidy, so the initial-value tensors are freed (a variable survives a tidy).
    const ws = tf.tidy(() => p.weights.map((w, i) => tf.variable(tf.tensor2d(w, [o.layers[i]!, o.layers[i + 1]!]), true)));
    const bs = tf.tidy(() => p.biases.map((b) => tf.variable(tf.tensor1d(b), true)));
    return this.train(o, [...ws, ...bs], p, [o.layers[0]!, o.layers[L]!], (x) => {
      let h: TF.Tensor2D = x;
      for (let i = 0; i < L; i++) {
        h = tf.add(tf.matMul(h, ws[i]!), bs[i]!);
        if (i < L - 1) h = tf.relu(h);
      }
      return h;
    });
  }

  async cnnTrainStep(o: PeerCnnOptions) {
    this.check();
    const tf = this.tf;
    const rng = new Rng(o.seed ?? 1);
    // Filters in TF.js's layout [KH, KW, C, OC]; fans as Keras counts them.
    const vars = tf.tidy(() =>
      [
        ...LENET_CONVS.flatMap(({ k, c, oc }) => [tf.tensor4d(glorot(rng, k * k * c * oc, k * k * c, k * k * oc), [k, k, c, oc]), tf.zeros([oc])]),
        ...LENET_DENSE.slice(1).flatMap((fout, i) => [
          tf.tensor2d(glorot(rng, LENET_DENSE[i]! * fout, LENET_DENSE[i]!, fout), [LENET_DENSE[i]!, fout]),
          tf.zeros([fout]),
        ]),
      ].map((t) => tf.variable(t, true)),
    );
    const [c1w, c1b, c2w, c2b, ...dense] = vars as [TF.Variable<TF.Rank.R4>, TF.Variable, TF.Variable<TF.Rank.R4>, TF.Variable, ...TF.Variable<TF.Rank.R2>[]];
    const data = lenetBatches(o.batch, rng);
    return this.train({ ...o, layers: [784, 10] }, vars, data, [784, 10], (x) => {
      const conv = (h: TF.Tensor4D, w: TF.Tensor4D, b: TF.Tensor, pad: 'same' | 'valid'): TF.Tensor4D =>
        tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w, 1, pad), b) as TF.Tensor4D), 2, 2, 'valid');
      const h = conv(conv(x.reshape([o.batch, 28, 28, 1]), c1w, c1b, 'same'), c2w, c2b, 'valid');
      let f: TF.Tensor2D = h.reshape([o.batch, 400]);
      for (let i = 0; i < 3; i++) {
        f = tf.add(tf.matMul(f, dense[2 * i]!), dense[2 * i + 1]!);
        if (i < 2) f = tf.relu(f);
      }
      return f;
    });
  }

  async gptTrainStep(o: PeerGptOptions) {
    this.check();
    return tfjsGptTrain(this.tf, o, { submit: () => this.submit(), sync: () => this.sync() });
  }

  /** The training loop both models share: `logits(x)` on the variables, softmax cross-entropy, the optimizer. */
  private async train(
    o: PeerMlpOptions,
    vars: TF.Variable[],
    data: { xs: Float32Array[]; ys: Float32Array[] },
    dims: [number, number],
    logits: (x: TF.Tensor2D) => TF.Tensor2D,
  ) {
    const tf = this.tf;
    const lr = defaultLr(o);
    const opt = o.optimizer === 'adam' ? tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps) : tf.train.sgd(lr);
    try {
      return await timeTraining<TF.Scalar>(o, {
        step: (bi, keep) => {
          // Uploading the batch every step, as Descent's benchmark writes each batch into its input buffer.
          const loss = tf.tidy(() => {
            const x = tf.tensor2d(data.xs[bi]!, [o.batch, dims[0]]);
            const y = tf.tensor2d(data.ys[bi]!, [o.batch, dims[1]]);
            return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(x)), true, vars)!;
          });
          // One submit per step (no wait), as Descent submits one command buffer per step.
          this.submit();
          if (keep) return loss;
          loss.dispose();
          return undefined;
        },
        sync: () => this.sync(),
        read: async (loss) => {
          const v = (await loss.data())[0]!;
          loss.dispose();
          return v;
        },
      });
    } finally {
      opt.dispose();
      for (const v of vars) v.dispose();
    }
  }

  async conv(o: PeerConvOptions) {
    this.check();
    const tf = this.tf;
    const l = o.layer;
    const [oh, ow] = convOutput(l);
    const rng = new Rng(l.h * 1000 + l.c * 10 + l.oc);
    const t4 = (shape: [number, number, number, number]) => tf.tensor4d(rng.floats(shape.reduce((a, b) => a * b, 1)), shape);
    const x = t4([l.batch, l.h, l.w, l.c]);
    const w = t4([l.k, l.k, l.c, l.oc]);
    const dy = t4([l.batch, oh, ow, l.oc]);
    const b = tf.tensor1d(rng.floats(l.oc));
    const attrs = { strides: [1, 1], pad: l.padding, dataFormat: 'NHWC', filterShape: w.shape };
    // Forward with the bias fused, as Descent's; the gradients by the kernels tf.grad would run (dw has no public op).
    const once: () => TF.Tensor[] = {
      forward: () => [tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: l.padding })],
      dx: () => [tf.conv2dTranspose(dy, w, x.shape, 1, l.padding)],
      'dw+db': () => [tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as TF.Tensor, tf.sum(dy, [0, 1, 2])],
    }[o.pass];
    try {
      return await timeFlops(
        convFlops(l),
        async (k) => {
          for (let i = 0; i < k; i++) for (const t of once()) t.dispose();
          await this.sync();
        },
        o,
      );
    } finally {
      for (const t of [x, w, dy, b]) t.dispose();
    }
  }

  dispose(): void {
    // The backend stays registered (TF.js cannot re-register it after removeBackend); what this peer made is freed.
    this.disposed = true;
    this.errors.stop();
  }
}
