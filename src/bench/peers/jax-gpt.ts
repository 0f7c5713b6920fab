// The gpt suite's GPT in jax-js: nn.dotProductAttention (causal) on [B, T, H, D], LayerNorm by nn.standardize,
// nn.gelu (tanh form, as Descent's), the embedding as a one-hot product, and loss, gradient and an AdamW update
// written out (jax-js has no optax) in one jitted step. Initial parameters are Descent's own (gpt-common.ts).
import type * as JAX from '@jax-js/jax';
import { timeTraining } from './common.js';
import { adamUpdate, type AdamState } from './jax-adam.js';
import { GPT_ADAMW, GPT_LN_EPS, gptProblem, isDenseWeight, transpose, type PeerGptOptions, type PeerGptResult } from './gpt-common.js';

type Arr = JAX.Array;
type State = AdamState;

/** How the peer submits an array's pending work and waits for the GPU. */
export interface JaxHooks {
  upload(data: Float32Array | Int32Array, shape: number[]): Arr;
  submit(a: Arr): void;
  sync(): Promise<void>;
}

const hasIteratorHelpers = (): boolean => typeof (globalThis as { Iterator?: { prototype?: { map?: unknown } } }).Iterator?.prototype?.map === 'function';

/** Train the spec's GPT with jax-js on WebGPU and time the steps (timeTraining's protocol). */
export async function jaxGptTrain(jax: typeof JAX, o: PeerGptOptions, hooks: JaxHooks): Promise<PeerGptResult> {
  const { numpy: np, nn, jit, valueAndGrad, tree } = jax;
  const pr = gptProblem(o.spec, o.seed ?? 1);
  const { vocab: V, context: T, heads: H, channels: C, batch: B, layers: L } = o.spec;
  const index = new Map(pr.tensors.map((t, i) => [t.name, i]));
  const p0 = pr.tensors.map((t) =>
    isDenseWeight(t) ? hooks.upload(transpose(t.data, t.shape[0]!, t.shape[1]!), [t.shape[1]!, t.shape[0]!]) : hooks.upload(t.data, t.shape),
  );
  const params = pr.tensors.reduce((s, t) => s + t.data.length, 0);

  // nn.dotProductAttention parses an einsum with iterator helpers (Node 22+, every current browser); where they
  // are missing, the same attention composed: matmul, causal mask by where on tril, softmax, matmul.
  const fused = hasIteratorHelpers();
  const attend = (q: Arr, k: Arr, v: Arr): Arr => {
    if (fused) return nn.dotProductAttention(q, k, v, { isCausal: true });
    const heads = (a: Arr) => np.transpose(a, [0, 2, 1, 3]);
    const scores = np.matmul(heads(q), np.transpose(k, [0, 2, 3, 1])).mul(1 / Math.sqrt(C / H));
    const p = nn.softmax(np.where(np.tril(np.ones([T, T])).astype(np.bool), scores, -1e9), -1);
    return np.transpose(np.matmul(p, heads(v)), [0, 2, 1, 3]);
  };

  // Each parameter is read once per forward, so the forward takes the list and uses each entry once.
  const forward = (p: Arr[], x: Arr): Arr => {
    const w = (name: string) => p[index.get(name)!]!;
    const layerNorm = (h: Arr, name: string) =>
      nn
        .standardize(h, -1, { epsilon: GPT_LN_EPS })
        .mul(w(`${name}.weight`))
        .add(w(`${name}.bias`));
    const dense = (h: Arr, name: string) => np.matmul(h, w(`${name}.weight`)).add(w(`${name}.bias`));
    let h = np.matmul(nn.oneHot(x, V), w('0.weight')).add(w('1.weight').slice([0, T]));
    for (let l = 0; l < L; l++) {
      const n = `${l + 2}`;
      const [q, k, v] = np.split(dense(layerNorm(h.ref, `${n}.ln1`), `${n}.attn.qkv`), 3, -1).map((a) => a.reshape([B, T, H, C / H]));
      const mixed = attend(q!, k!, v!).reshape([B, T, C]);
      h = h.add(dense(mixed, `${n}.attn.proj`));
      h = h.ref.add(dense(nn.gelu(dense(layerNorm(h, `${n}.ln2`), `${n}.mlp.fc`)), `${n}.mlp.proj`));
    }
    return dense(layerNorm(h, `${L + 2}`), `${L + 3}`);
  };
  const lossFn = (p: Arr[], x: Arr, y: Arr): Arr =>
    nn
      .logSoftmax(forward(p, x), -1)
      .mul(nn.oneHot(y, V))
      .sum()
      .mul(-1 / (B * T));

  const { lr, weightDecay } = GPT_ADAMW;
  const step = jit((s: State, x: Arr, y: Arr): [Arr, State] => {
    const [loss, g] = valueAndGrad(lossFn)(
      s.p.map((a) => a.ref),
      x,
      y,
    );
    return [loss, adamUpdate(np, s, g, lr, weightDecay)];
  });

  const zeros = () => p0.map((a) => np.zeros(a.shape, { device: 'webgpu' }));
  let state: State = { p: p0, m: zeros(), v: zeros(), t: np.zeros([], { device: 'webgpu' }) };
  const ids = (a: Uint32Array) => hooks.upload(Int32Array.from(a), [B, T]);
  try {
    const r = await timeTraining<Arr>(
      { layers: [], batch: B * T, optimizer: 'adam', steps: o.steps, warmup: o.warmup, syncEvery: o.syncEvery },
      {
        step: (bi, keep) => {
          const [loss, next] = step(state, ids(pr.xs[bi]!), ids(pr.ys[bi]!));
          state = next;
          for (const a of tree.leaves(state) as Arr[]) hooks.submit(a.ref);
          if (keep) return loss;
          loss.dispose();
          return undefined;
        },
        sync: () => hooks.sync(),
        read: async (loss) => (await loss.data())[0]!,
      },
    );
    const note = fused ? 'nn.dotProductAttention' : 'attention composed (nn.dotProductAttention needs iterator helpers: Node 22+)';
    return { msPerStep: r.msPerStep, tokensPerSecond: r.samplesPerSecond, lossFirst: r.lossFirst, lossLast: r.lossLast, params, note };
  } finally {
    tree.dispose(state);
    step.dispose();
  }
}
