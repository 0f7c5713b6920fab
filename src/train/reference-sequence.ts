// The CPU reference trainer of sequence models (token embedding, positions, dense and LayerNorm on the last axis,
// GELU, residual adds, fused attention, a tied output layer): forward, backward and the optimizer in plain loops
// accumulating in float64, from the reference ops of src/reference. In 'f32' precision every op's result is
// rounded to f32 as the GPU stores it (what the GPU trainer is compared with); in 'f64' nothing is rounded, so a
// whole model's gradients can be checked against float64 central differences of its loss.
import { OptionError } from '../core/errors.js';
import type { GraphNode } from '../nn/graph.js';
import type { Model } from '../nn/model.js';
import { attentionShape, isTokenInput, rowsOf } from '../nn/sequence-layers.js';
import { elementOptions, referenceState, referenceUpdate, type OptimizerDef } from '../optim/optimizer.js';
import { activate, activateDerivative } from '../reference/activation.js';
import { attentionBackward64, attentionForward64 } from '../reference/attention.js';
import { checkIds } from '../reference/embedding.js';
import { layerNormBackward, layerNormForward } from '../reference/layernorm.js';
import { softmaxCrossEntropy } from '../reference/loss.js';

type Vec = Float32Array | Float64Array;

/** One reference step's loss, gradients and parameters. */
export interface SequenceReferenceStep {
  /** Mean cross-entropy over the B*T predicted tokens. */
  loss: number;
  /** Fraction of the B*T tokens whose largest logit is the label. */
  accuracy: number;
}

/** The rows and features of a node's output for B examples: [B*T, C] for a sequence, [B, width] otherwise. */
const rowsBy = (n: GraphNode, B: number): [number, number] => {
  const rows = isTokenInput(n) ? n.width : rowsOf(n.shape);
  return [B * rows, n.width / rows];
};

/** Q, K and V as column blocks of the fused [rows, 3C] projection. */
const qkvViews = (qkv: ArrayLike<number>, C: number) => [0, C, 2 * C].map((offset) => ({ data: qkv, offset, stride: 3 * C }));

/** The CPU reference trainer of sequence models: forward, backward and optimizer in plain loops. */
export class SequenceReference {
  readonly params: Vec;
  readonly grads: Vec;
  readonly state: Record<string, Float32Array>;
  steps = 0;
  private readonly round: (a: ArrayLike<number>) => Vec;
  private readonly perElement: { lrScale: Float32Array; weightDecay: Float32Array };

  constructor(
    readonly model: Model,
    readonly optimizer: OptimizerDef,
    readonly precision: 'f32' | 'f64' = 'f32',
    params: ArrayLike<number> = model.initialParameters(),
  ) {
    if (model.graph.tokens === null)
      throw new OptionError('SequenceReference needs a sequence model (sequential({ tokens: T }, ...)); use ReferenceNetwork for the others');
    if (precision !== 'f32' && precision !== 'f64') throw new OptionError(`SequenceReference: precision must be 'f32' or 'f64', got ${String(precision)}`);
    const Arr = precision === 'f32' ? Float32Array : Float64Array;
    this.round = (a) => Arr.from(a);
    this.params = Arr.from(params);
    this.grads = new Arr(model.layout.length);
    this.state = referenceState(optimizer, model.layout.length);
    this.perElement = elementOptions(model.layout, optimizer);
  }

  private p(name: string): Vec {
    const s = this.model.layout.get(name);
    return this.params.subarray(s.offset, s.offset + s.length);
  }

  /** Every node's output for B examples of T token ids (checked: a DataError names the first id outside the vocabulary); attention's log-sum-exps by node. */
  forward(ids: ArrayLike<number>, B: number): { acts: Vec[]; lse: Map<number, Vec> } {
    const g = this.model.graph;
    const acts: Vec[] = [Float64Array.from(ids)];
    const lse = new Map<number, Vec>();
    for (const n of g.nodes.slice(1)) {
      const src = g.nodes[n.inputs[0]!]!;
      const x = acts[src.id]!;
      const [R, F] = rowsBy(src, B);
      const N = rowsBy(n, B)[1];
      const op = n.op;
      let y: ArrayLike<number>;
      switch (op.op) {
        case 'embedding': {
          checkIds(x, op.vocab);
          const W = this.p(op.weight);
          y = new Float64Array(R * N);
          for (let r = 0; r < R; r++) for (let c = 0; c < N; c++) (y as Float64Array)[r * N + c] = W[x[r]! * N + c]!;
          break;
        }
        case 'positional': {
          const P = this.p(op.weight);
          const T = n.shape[0]!;
          y = x.map((v, i) => v + P[i % (T * F)]!);
          break;
        }
        case 'dense': {
          const [W, b] = [this.p(op.weight), op.bias ? this.p(op.bias) : null];
          const out = new Float64Array(R * N);
          for (let r = 0; r < R; r++) {
            for (let j = 0; j < N; j++) {
              let acc = b ? b[j]! : 0;
              for (let k = 0; k < F; k++) acc += x[r * F + k]! * W[j * F + k]!;
              out[r * N + j] = acc;
            }
          }
          y = out;
          break;
        }
        case 'activation':
          y = x.map((v) => activate(op.activation, v, op.slope));
          break;
        case 'layerNorm':
          y = layerNormForward(x, this.p(op.gain), this.p(op.shift), R, F, op.eps).y;
          break;
        case 'add': {
          const b = acts[n.inputs[1]!]!;
          y = x.map((v, i) => v + b[i]!);
          break;
        }
        case 'attention': {
          const r = attentionForward64(...(qkvViews(x, N) as [never, never, never]), attentionShape(n.shape, op, B));
          lse.set(n.id, this.round(r.lse));
          y = r.out;
          break;
        }
        default:
          throw new OptionError(`SequenceReference does not run '${op.op}' nodes (node '${n.name}')`);
      }
      acts.push(this.round(y));
    }
    return { acts, lse };
  }

  /** Mean loss over B*T next-token labels, without touching the gradients (for central differences). */
  loss(ids: ArrayLike<number>, labels: ArrayLike<number>, B: number): number {
    const { acts } = this.forward(ids, B);
    const [R, V] = rowsBy(this.model.graph.output, B);
    return softmaxCrossEntropy(acts[acts.length - 1]!, labels, R, V, 1 / R).loss.reduce((s, v) => s + v, 0) / R;
  }

  /** Forward and backward on B examples: fills `grads` (tied tensors get the sum of their uses), returns loss and accuracy. */
  backward(ids: ArrayLike<number>, labels: ArrayLike<number>, B: number): SequenceReferenceStep {
    const g = this.model.graph;
    const { acts, lse } = this.forward(ids, B);
    const [R, V] = rowsBy(g.output, B);
    const ce = softmaxCrossEntropy(acts[g.output.id]!, labels, R, V, 1 / R);
    const grads = new Float64Array(this.grads.length);
    const addGrad = (name: string, d: ArrayLike<number>) => {
      const s = this.model.layout.get(name);
      const r = this.round(d);
      for (let i = 0; i < s.length; i++) grads[s.offset + i] = grads[s.offset + i]! + r[i]!;
    };
    const dacts: (Float64Array | undefined)[] = [];
    const contribute = (id: number, d: ArrayLike<number>) => {
      if (id === 0) return;
      const r = this.round(d);
      const cur = dacts[id];
      if (!cur) dacts[id] = Float64Array.from(r);
      else for (let i = 0; i < cur.length; i++) cur[i] = cur[i]! + r[i]!;
    };
    dacts[g.output.id] = ce.dlogits;
    for (const n of [...g.nodes].reverse()) {
      if (n.id === 0 || !dacts[n.id]) continue;
      const dy = this.round(dacts[n.id]!);
      const src = g.nodes[n.inputs[0]!]!;
      const x = acts[src.id]!;
      const [R, F] = rowsBy(src, B);
      const N = rowsBy(n, B)[1];
      const op = n.op;
      switch (op.op) {
        case 'embedding': {
          const dW = new Float64Array(op.vocab * N);
          for (let r = 0; r < R; r++) for (let c = 0; c < N; c++) dW[x[r]! * N + c] += dy[r * N + c]!;
          addGrad(op.weight, dW);
          break;
        }
        case 'positional': {
          const T = n.shape[0]!;
          const dP = new Float64Array(this.model.layout.get(op.weight).length);
          for (let i = 0; i < dy.length; i++) dP[i % (T * F)] += dy[i]!;
          addGrad(op.weight, dP);
          contribute(src.id, dy);
          break;
        }
        case 'dense': {
          const W = this.p(op.weight);
          const [dW, dx] = [new Float64Array(N * F), new Float64Array(R * F)];
          const db = new Float64Array(N);
          for (let r = 0; r < R; r++) {
            for (let j = 0; j < N; j++) {
              const d = dy[r * N + j]!;
              db[j] += d;
              for (let k = 0; k < F; k++) {
                dW[j * F + k] += d * x[r * F + k]!;
                dx[r * F + k] += d * W[j * F + k]!;
              }
            }
          }
          addGrad(op.weight, dW);
          if (op.bias) addGrad(op.bias, db);
          contribute(src.id, dx);
          break;
        }
        case 'activation':
          contribute(
            src.id,
            dy.map((d, i) => d * activateDerivative(op.activation, x[i]!, op.slope)),
          );
          break;
        case 'layerNorm': {
          const r = layerNormBackward(x, this.p(op.gain), dy, R, F, op.eps);
          addGrad(op.gain, r.dgamma);
          addGrad(op.shift, r.dbeta);
          contribute(src.id, r.dx);
          break;
        }
        case 'add':
          contribute(n.inputs[0]!, dy);
          contribute(n.inputs[1]!, dy);
          break;
        case 'attention': {
          const [q, k, v] = qkvViews(x, N) as [never, never, never];
          const r = attentionBackward64(q, k, v, acts[n.id]!, lse.get(n.id)!, dy, attentionShape(n.shape, op, B));
          const dqkv = new Float64Array(R * 3 * N);
          [r.dq, r.dk, r.dv].forEach((d, part) => {
            for (let row = 0; row < R; row++) for (let c = 0; c < N; c++) dqkv[row * 3 * N + part * N + c] = d[row * N + c]!;
          });
          contribute(src.id, dqkv);
          break;
        }
        default:
          throw new OptionError(`SequenceReference does not run '${op.op}' nodes (node '${n.name}')`);
      }
    }
    this.grads.set(this.round(grads));
    const lossSum = ce.loss.reduce((s, v) => s + v, 0);
    return { loss: lossSum / R, accuracy: ce.correct.reduce((s, v) => s + v, 0) / R };
  }

  /** One training step on B examples: backward, then the optimizer's reference update of the parameters. */
  step(ids: ArrayLike<number>, labels: ArrayLike<number>, B: number, lr = this.optimizer.lr): SequenceReferenceStep {
    const r = this.backward(ids, labels, B);
    this.steps++;
    referenceUpdate(this.optimizer, this.params as Float32Array, this.grads, this.state, this.perElement, this.steps, lr);
    return r;
  }

  /** Named parameter values. */
  parameters(): Record<string, Vec> {
    return Object.fromEntries(this.model.layout.segments.map((s) => [s.name, this.params.slice(s.offset, s.offset + s.length)]));
  }

  /** Named gradients of the last backward pass. */
  gradients(): Record<string, Vec> {
    return Object.fromEntries(this.model.layout.segments.map((s) => [s.name, this.grads.slice(s.offset, s.offset + s.length)]));
  }
}
