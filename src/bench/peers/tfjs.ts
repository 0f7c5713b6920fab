// TensorFlow.js on its WebGPU backend, on the adapter Descent uses.
import type * as TF from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describeAdapter } from '../../gpu/device.js';
import { ADAM, DeviceErrors, defaultLr, mlpProblem, randomMatrix, timeMatmul, timeTraining } from './common.js';
import type { Peer, PeerLoadFailure, PeerMatmulOptions, PeerMlpOptions } from './types.js';
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
    const lr = defaultLr(o);
    const opt = o.optimizer === 'adam' ? tf.train.adam(lr, ADAM.beta1, ADAM.beta2, ADAM.eps) : tf.train.sgd(lr);
    const classes = o.layers[L]!;
    try {
      return await timeTraining<TF.Scalar>(o, {
        step: (bi, keep) => {
          // Uploading the batch every step, as Descent's benchmark writes each batch into its input buffer.
          const loss = tf.tidy(() => {
            const x = tf.tensor2d(p.xs[bi]!, [o.batch, o.layers[0]!]);
            const y = tf.tensor2d(p.ys[bi]!, [o.batch, classes]);
            const f = (): TF.Scalar => {
              let h: TF.Tensor2D = x;
              for (let i = 0; i < L; i++) {
                h = tf.add(tf.matMul(h, ws[i]!), bs[i]!);
                if (i < L - 1) h = tf.relu(h);
              }
              return tf.losses.softmaxCrossEntropy(y, h);
            };
            return opt.minimize(f, true, [...ws, ...bs])!;
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
      for (const v of [...ws, ...bs]) v.dispose();
    }
  }

  dispose(): void {
    // The backend stays registered (TF.js cannot re-register it after removeBackend); what this peer made is freed.
    this.disposed = true;
    this.errors.stop();
  }
}
