// The gpt suite's GPT in TF.js, composed from its ops (TF.js has no attention op): matMul, a causal mask from
// bandPart, softmax, LayerNorm by moments, GELU written out (tanh form, as Descent's), AdamW as TF.js's Adam plus
// the decoupled decay, each step under tidy. Initial parameters are Descent's own (gpt-common.ts).
import type * as TF from '@tensorflow/tfjs';
import { timeTraining } from './common.js';
import { GPT_ADAMW, GPT_LN_EPS, gptProblem, isDenseWeight, transpose, type PeerGptOptions, type PeerGptResult } from './gpt-common.js';

/** How the peer submits its recorded work and waits for the GPU. */
export interface TfjsHooks {
  submit(): void;
  sync(): Promise<void>;
}

/** Train the spec's GPT with TF.js on its WebGPU backend and time the steps (timeTraining's protocol). */
export async function tfjsGptTrain(tf: typeof TF, o: PeerGptOptions, hooks: TfjsHooks): Promise<PeerGptResult> {
  const pr = gptProblem(o.spec, o.seed ?? 1);
  const { vocab: V, context: T, heads: H, channels: C, batch: B, layers: L } = o.spec;
  const D = C / H;
  // Dense weights [out, in] in Descent's layout become [in, out] operands of x . W.
  const vars = new Map(
    tf.tidy(() =>
      pr.tensors.map((t) => {
        const dense = isDenseWeight(t);
        const value = dense ? tf.tensor2d(transpose(t.data, t.shape[0]!, t.shape[1]!), [t.shape[1]!, t.shape[0]!]) : tf.tensor(t.data, t.shape);
        return [t.name, tf.variable(value, true, `gpt/${t.name}`)] as const;
      }),
    ),
  );
  const w = (name: string) => vars.get(name)!;
  const params = [...vars.values()].reduce((s, v) => s + v.size, 0);
  const mask = tf.tidy(() => tf.linalg.bandPart(tf.ones([T, T]), -1, 0).cast('bool'));
  const negInf = tf.scalar(-1e9);
  const k0 = Math.sqrt(2 / Math.PI);

  const layerNorm = (x: TF.Tensor2D, name: string): TF.Tensor2D => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x
      .sub(mean)
      .mul(tf.rsqrt(variance.add(GPT_LN_EPS)))
      .mul(w(`${name}.weight`))
      .add(w(`${name}.bias`));
  };
  const dense = (x: TF.Tensor2D, name: string): TF.Tensor2D => tf.add(tf.matMul(x, w(`${name}.weight`) as TF.Tensor2D), w(`${name}.bias`));
  const gelu = (x: TF.Tensor2D): TF.Tensor2D => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(k0)).add(1));
  const heads = (x: TF.Tensor2D) => x.reshape([B, T, H, D]).transpose([0, 2, 1, 3]) as TF.Tensor4D;
  const attention = (x: TF.Tensor2D, name: string): TF.Tensor2D => {
    const [q, k, v] = tf.split(dense(x, `${name}.qkv`), 3, 1) as [TF.Tensor2D, TF.Tensor2D, TF.Tensor2D];
    const scores = tf.matMul(heads(q), heads(k), false, true).mul(1 / Math.sqrt(D));
    const p = tf.softmax(tf.where(mask, scores, negInf));
    const mixed = tf
      .matMul(p as TF.Tensor4D, heads(v))
      .transpose([0, 2, 1, 3])
      .reshape([B * T, C]) as TF.Tensor2D;
    return dense(mixed, `${name}.proj`);
  };
  const logits = (ids: TF.Tensor2D): TF.Tensor2D => {
    const pos = w('1.weight').slice([0, 0], [T, C]);
    let h = tf
      .gather(w('0.weight'), ids.reshape([B * T]))
      .reshape([B, T, C])
      .add(pos)
      .reshape([B * T, C]) as TF.Tensor2D;
    for (let l = 0; l < L; l++) {
      const n = `${l + 2}`;
      h = h.add(attention(layerNorm(h, `${n}.ln1`), `${n}.attn`));
      h = h.add(dense(gelu(dense(layerNorm(h, `${n}.ln2`), `${n}.mlp.fc`)), `${n}.mlp.proj`));
    }
    return dense(layerNorm(h, `${L + 2}`), `${L + 3}`);
  };

  const { lr, beta1, beta2, eps, weightDecay } = GPT_ADAMW;
  const opt = tf.train.adam(lr, beta1, beta2, eps);
  const list = [...vars.values()];
  try {
    const r = await timeTraining<TF.Scalar>(
      { layers: [], batch: B * T, optimizer: 'adam', steps: o.steps, warmup: o.warmup, syncEvery: o.syncEvery },
      {
        step: (bi, keep) => {
          const loss = tf.tidy(() => {
            const x = tf.tensor2d(Int32Array.from(pr.xs[bi]!), [B, T], 'int32');
            const y = tf.oneHot(tf.tensor1d(Int32Array.from(pr.ys[bi]!), 'int32'), V);
            const { value, grads } = opt.computeGradients(() => tf.losses.softmaxCrossEntropy(y, logits(x)) as TF.Scalar, list);
            // Decoupled decay at the old parameters, then Adam's step: PyTorch's AdamW order, as Descent's.
            for (const v of list) v.assign(v.mul(1 - lr * weightDecay));
            opt.applyGradients(grads as TF.NamedTensorMap as Parameters<typeof opt.applyGradients>[0]);
            return value;
          });
          hooks.submit();
          if (keep) return loss;
          loss.dispose();
          return undefined;
        },
        sync: () => hooks.sync(),
        read: async (loss) => {
          const v = (await loss.data())[0]!;
          loss.dispose();
          return v;
        },
      },
    );
    return { msPerStep: r.msPerStep, tokensPerSecond: r.samplesPerSecond, lossFirst: r.lossFirst, lossLast: r.lossLast, params };
  } finally {
    opt.dispose();
    for (const v of list) v.dispose();
    mask.dispose();
    negInf.dispose();
  }
}
