// The CPU reference trainer: the same graph, loss and optimizer as a compiled Network, computed with the
// reference ops (float64 inside each op, f32 between ops as on the GPU), from the same initial parameters.
// Tests compare loss, every gradient and every parameter with the GPU after 1 and 20 steps.
import * as ref from '../reference/index.js';
import type { Model } from '../nn/model.js';
import { elementOptions, referenceState, referenceUpdate, type OptimizerDef } from '../optim/optimizer.js';
import type { LossKind } from '../core/losses.js';
import { imageBackward, imageForward, isImageOp } from './reference-image.js';
import { OptionError } from '../core/errors.js';

export interface ReferenceStep {
  loss: number;
  accuracy: number;
}

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

/** The CPU reference trainer: the same model and optimizer as Network, in plain loops. */
export class ReferenceNetwork {
  readonly params: Float32Array;
  readonly stats: Float32Array;
  readonly grads: Float32Array;
  readonly state: Record<string, Float32Array>;
  steps = 0;
  private readonly perElement: { lrScale: Float32Array; weightDecay: Float32Array };

  constructor(
    readonly model: Model,
    readonly loss: LossKind,
    readonly optimizer: OptimizerDef,
    params = model.initialParameters(),
  ) {
    this.params = Float32Array.from(params);
    this.stats = model.initialStats();
    this.grads = new Float32Array(model.layout.length);
    this.state = referenceState(optimizer, model.layout.length);
    this.perElement = elementOptions(model.layout, optimizer);
  }

  private p(name: string): Float32Array {
    const s = this.model.layout.get(name);
    return this.params.subarray(s.offset, s.offset + s.length);
  }

  private s(name: string): Float32Array {
    const s = this.model.statsLayout.get(name);
    return this.stats.subarray(s.offset, s.offset + s.length);
  }

  private g(name: string): Float32Array {
    const s = this.model.layout.get(name);
    return this.grads.subarray(s.offset, s.offset + s.length);
  }

  /** Node outputs for B rows of x; in training mode BatchNorm uses and updates batch statistics. */
  forward(x: Float32Array, B: number, training: boolean): Float32Array[] {
    const acts: Float32Array[] = [x];
    for (const n of this.model.graph.nodes.slice(1)) {
      const xin = acts[n.inputs[0]!]!;
      const D = this.model.graph.nodes[n.inputs[0]!]!.width;
      const op = n.op;
      let y: Float32Array;
      switch (op.op) {
        case 'dense':
          y = ref.matmul(xin, this.p(op.weight), B, n.width, D, { transB: true, bias: op.bias ? this.p(op.bias) : undefined });
          break;
        case 'activation':
          y = ref.activationForward(xin, op.activation, op.slope);
          break;
        case 'layerNorm':
          y = f32(ref.layerNormForward(xin, this.p(op.gain), this.p(op.shift), B, D, op.eps).y);
          break;
        case 'batchNorm': {
          // On images, the rows are the batch's pixels and the features their channels.
          const [rm, rv, C] = [this.s(op.runningMean), this.s(op.runningVar), op.channels];
          const rows = (B * D) / C;
          if (training) {
            const r = ref.batchNormTrain(xin, this.p(op.gain), this.p(op.shift), rm, rv, rows, C, { eps: op.eps, momentum: op.momentum });
            rm.set(r.runningMean);
            rv.set(r.runningVar);
            y = f32(r.y);
          } else {
            y = f32(ref.batchNormEval(xin, this.p(op.gain), this.p(op.shift), rm, rv, rows, C, op.eps));
          }
          break;
        }
        case 'add':
          y = ref.add(xin, acts[n.inputs[1]!]!);
          break;
        case 'input':
          y = xin;
          break;
        default:
          // Sequence models (token input) run on SequenceReference (reference-sequence.ts).
          if (!isImageOp(op))
            throw new OptionError(`ReferenceNetwork runs vector and image models; '${op.op}' belongs to a sequence model: use SequenceReference`);
          y = imageForward(op, xin, B, (name) => this.p(name));
      }
      acts.push(y);
    }
    return acts;
  }

  /** One training step on B rows; fills `grads`, updates the parameters, returns the mean loss and accuracy. */
  step(x: Float32Array, y: Float32Array, B: number, lr = this.optimizer.lr): ReferenceStep {
    const g = this.model.graph;
    const acts = this.forward(x, B, true);
    const out = acts[g.output.id]!;
    const C = g.outputDim;
    let lossRows: Float64Array;
    let dOut: Float64Array;
    let accuracy = NaN;
    if (this.loss === 'cross_entropy') {
      const r = ref.softmaxCrossEntropy(out, y, B, C, 1 / B);
      lossRows = r.loss;
      dOut = r.dlogits;
      accuracy = r.correct.reduce((s, v) => s + v, 0) / B;
    } else {
      const r = ref.mse(out, y, B, C, 1 / B);
      lossRows = r.loss;
      dOut = r.dpred;
    }
    const dacts: (Float64Array | undefined)[] = [];
    dacts[g.output.id] = dOut;
    const contribute = (id: number, d: ArrayLike<number>) => {
      if (id === 0) return;
      const cur = dacts[id];
      if (!cur) dacts[id] = Float64Array.from(d);
      else for (let i = 0; i < cur.length; i++) cur[i] = cur[i]! + d[i]!;
    };
    for (const n of [...g.nodes].reverse()) {
      if (n.id === 0) continue;
      const dy = f32(dacts[n.id]!);
      const xin = acts[n.inputs[0]!]!;
      const D = g.nodes[n.inputs[0]!]!.width;
      const op = n.op;
      switch (op.op) {
        case 'dense': {
          this.g(op.weight).set(ref.matmul(dy, xin, n.width, D, B, { transA: true }));
          if (op.bias) this.g(op.bias).set(ref.sumRows(dy, B, n.width));
          contribute(n.inputs[0]!, ref.matmul(dy, this.p(op.weight), B, D, n.width));
          break;
        }
        case 'activation':
          contribute(n.inputs[0]!, ref.activationBackward(xin, dy, op.activation, op.slope));
          break;
        case 'layerNorm':
        case 'batchNorm': {
          const backward = op.op === 'layerNorm' ? ref.layerNormBackward : ref.batchNormBackward;
          const C = op.op === 'batchNorm' ? op.channels : D;
          const r = backward(xin, this.p(op.gain), dy, (B * D) / C, C, op.eps);
          this.g(op.gain).set(r.dgamma);
          this.g(op.shift).set(r.dbeta);
          contribute(n.inputs[0]!, f32(r.dx));
          break;
        }
        case 'add':
          contribute(n.inputs[0]!, dy);
          contribute(n.inputs[1]!, dy);
          break;
        case 'input':
          break;
        default: {
          if (!isImageOp(op)) break;
          const r = imageBackward(op, xin, dy, B, (name) => this.p(name));
          for (const [name, v] of r.grads) this.g(name).set(v);
          contribute(n.inputs[0]!, r.dx);
        }
      }
    }
    this.steps++;
    referenceUpdate(this.optimizer, this.params, this.grads, this.state, this.perElement, this.steps, lr);
    return { loss: lossRows.reduce((s, v) => s + v, 0) / B, accuracy };
  }

  /** Named parameter values. */
  parameters(): Record<string, Float32Array> {
    return Object.fromEntries(this.model.layout.segments.map((s) => [s.name, this.params.slice(s.offset, s.offset + s.length)]));
  }

  /** Named gradients of the last step. */
  gradients(): Record<string, Float32Array> {
    return Object.fromEntries(this.model.layout.segments.map((s) => [s.name, this.grads.slice(s.offset, s.offset + s.length)]));
  }
}
