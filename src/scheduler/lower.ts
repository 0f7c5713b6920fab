// Lowering a model graph to the ops of one step: forward, loss, backward (with gradient accumulation
// where a tensor feeds several consumers), for training or evaluation.
import type { Graph, GraphNode } from '../nn/graph.js';
import type { ArenaLayout } from '../nn/arena.js';
import type { Runtime } from '../gpu/runtime.js';
import { Tensor } from '../gpu/tensor.js';
import { derivativeFromOutput, prepareActivation, prepareActivationGrad } from '../kernels/activation.js';
import { prepareAccumulate, prepareAdd, prepareScale } from '../kernels/elementwise.js';
import { prepareMatmul } from '../kernels/matmul.js';
import { prepareSumRows } from '../kernels/reduce.js';
import { prepareLayerNormBackward, prepareLayerNormBackwardParams, prepareLayerNormForward } from '../kernels/layernorm.js';
import { prepareBatchNormBackward, prepareBatchNormCommit, prepareBatchNormForwardBatch, prepareBatchNormForwardEval } from '../kernels/batchnorm.js';
import { prepareMse, prepareSoftmaxCrossEntropy } from '../kernels/loss.js';
import type { Program } from './program.js';
import { isImageNode, lowerImageBackward, lowerImageForward, poolGate, reshape } from './lower-image.js';
import type { AttentionChoice } from '../kernels/attention-composed.js';
import { isSequenceNode, lowerSequenceBackward, lowerSequenceForward } from './lower-sequence.js';
import { rowsOf } from '../nn/sequence-layers.js';
import { pushActivationStats, type StatsSink } from './lower-stats.js';
import type { LossKind } from '../core/losses.js';

export type { LossKind } from '../core/losses.js';

/** The persistent buffers a step reads and writes: arenas and their layouts. */
export interface ModelBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  stats: GPUBuffer;
  layout: ArenaLayout;
  statsLayout: ArenaLayout;
}

export const act = (id: number) => `act:${id}`;
export const grad = (id: number) => `grad:${id}`;
const batchStats = (id: number) => `bn:batch:${id}`;

/** A node's planned [B, width] tensor seen as rows of its last axis: [B*T, C] for a sequence, itself otherwise. */
const rowsView = (rt: Runtime, B: number, n: GraphNode) => (t: Tensor) => reshape(rt, t, [B * rowsOf(n.shape), n.width / rowsOf(n.shape)]);

/** Views of named tensors inside an arena buffer. */
export function arenaView(rt: Runtime, buffer: GPUBuffer, layout: ArenaLayout, name: string): Tensor {
  const s = layout.get(name);
  return Tensor.view(rt, buffer, s.shape, s.offset * 4, name);
}

/**
 * Activation nodes folded into the dense or conv2d node that feeds them: the epilogue applies the activation,
 * and the backward pass takes the derivative from the activation's output, so the pre-activation is never
 * stored and the forward pass saves a dispatch. Only where the dense output has no other reader and the
 * derivative is a function of the output (not GELU). Maps activation node id to dense node id. None with
 * `keepPreActivations` (activation telemetry measures the pre-activations, see lower-stats.ts).
 */
export function fusedActivations(g: Graph, keepPreActivations = false): Map<number, number> {
  const fused = new Map<number, number>();
  if (keepPreActivations) return fused;
  for (const n of g.nodes) {
    if (n.op.op !== 'activation') continue;
    const src = g.nodes[n.inputs[0]!]!;
    if ((src.op.op === 'dense' || src.op.op === 'conv2d') && g.consumers(src.id).length === 1 && derivativeFromOutput(n.op.activation, n.op.slope))
      fused.set(n.id, src.id);
  }
  return fused;
}

/**
 * An activation whose backward pass runs in the epilogue of the matmul computing its input gradient: its only
 * reader is a dense layer. The gate is its output (which that layer keeps as input) where the derivative is a
 * function of it, else its input (GELU: the activation is never fused into the layer before it, so its input is
 * kept).
 */
export function gatedActivation(g: Graph, n: GraphNode): boolean {
  if (n.op.op !== 'activation') return false;
  const readers = g.consumers(n.id);
  if (readers.length !== 1) return false;
  const reader = g.nodes[readers[0]!]!;
  // Or a max pooling, whose backward takes the derivative from the output it pools (lower-image.ts).
  return reader.op.op === 'dense' || poolGate(g, reader) === n;
}

/**
 * Declare and push the forward ops; returns nothing, the output is act(graph.output.id). With `stats`, each
 * activation layer also gets its telemetry dispatch (lower-stats.ts), and no activation is fused.
 */
export function lowerForward(
  rt: Runtime,
  p: Program,
  g: Graph,
  m: ModelBuffers,
  B: number,
  training: boolean,
  stats?: StatsSink,
  attention: AttentionChoice = 'auto',
): void {
  const param = (name: string) => p.persistent(`param:${name}`, arenaView(rt, m.params, m.layout, name));
  const stat = (name: string) => p.persistent(`stat:${name}`, arenaView(rt, m.stats, m.statsLayout, name));
  const fused = fusedActivations(g, stats !== undefined);
  const unfused = stats ? fusedActivations(g) : new Map<number, number>();
  const epilogueOf = new Map([...fused].map(([a, d]) => [d, g.nodes[a]!]));
  for (const n of g.nodes.slice(1)) {
    if (fused.has(n.id)) continue; // applied by the dense or conv node's epilogue
    if (isSequenceNode(n)) {
      lowerSequenceForward(rt, p, g, n, B, { param, attention });
      continue;
    }
    const epilogue = epilogueOf.get(n.id);
    const out = p.transient(act(epilogue ? epilogue.id : n.id), [B, n.width]);
    const ins = n.inputs.map(act);
    const x = ins[0]!;
    const op = n.op;
    const [xr, outr] = [rowsView(rt, B, g.nodes[n.inputs[0]!]!), rowsView(rt, B, n)];
    if (isImageNode(n)) {
      const ep = epilogue?.op.op === 'activation' ? { name: epilogue.name, activation: epilogue.op.activation, slope: epilogue.op.slope } : undefined;
      lowerImageForward(rt, p, n, { x, out, param }, B, ep);
      continue;
    }
    switch (op.op) {
      case 'dense': {
        const w = param(op.weight);
        const b = op.bias ? param(op.bias) : null;
        const ep = epilogue?.op.op === 'activation' ? { activation: epilogue.op.activation, slope: epilogue.op.slope } : {};
        p.push({
          label: epilogue ? `${n.name}:dense+${epilogue.name}:${ep.activation}` : `${n.name}:dense`,
          reads: b ? [x, w, b] : [x, w],
          writes: [out],
          make: (t) => prepareMatmul(rt, { a: xr(t(x)), b: t(w), c: outr(t(out)), ...(b ? { bias: t(b) } : {}) }, { transB: true, ...ep }),
        });
        break;
      }
      case 'activation':
        // A layer that would have been fused: its stats dispatch applies the activation too.
        if (stats && unfused.has(n.id)) {
          pushActivationStats(rt, p, g, n, B, x, out, stats);
          break;
        }
        if (stats) pushActivationStats(rt, p, g, n, B, x, null, stats);
        p.push({
          label: `${n.name}:${op.activation}`,
          reads: [x],
          writes: [out],
          make: (t) => prepareActivation(rt, { x: t(x), y: t(out) }, { activation: op.activation, slope: op.slope }),
        });
        break;
      case 'layerNorm': {
        const [gain, shift] = [param(op.gain), param(op.shift)];
        const mean = p.transient(`ln:mean:${n.id}`, [B * rowsOf(n.shape)]);
        const rstd = p.transient(`ln:rstd:${n.id}`, [B * rowsOf(n.shape)]);
        p.push({
          label: `${n.name}:layerNorm`,
          reads: [x, gain, shift],
          writes: [out, mean, rstd],
          make: (t) =>
            prepareLayerNormForward(rt, { x: xr(t(x)), gamma: t(gain), beta: t(shift), y: outr(t(out)), mean: t(mean), rstd: t(rstd) }, { eps: op.eps }),
        });
        break;
      }
      case 'batchNorm': {
        const [gain, shift] = [param(op.gain), param(op.shift)];
        const [rm, rv] = [stat(op.runningMean), stat(op.runningVar)];
        // On images the rows are the batch's pixels and the features their channels (BatchNorm2d).
        const rows = [(B * n.width) / op.channels, op.channels];
        const [xr, yr] = [(t: (k: string) => Tensor) => reshape(rt, t(x), rows), (t: (k: string) => Tensor) => reshape(rt, t(out), rows)];
        if (training) {
          const mean = p.transient(`bn:mean:${n.id}`, [op.channels]);
          const rstd = p.transient(`bn:rstd:${n.id}`, [op.channels]);
          // The running statistics change only in lowerStatsCommit's dispatch, after the update has judged the step.
          const batch = p.transient(batchStats(n.id), [2, op.channels]);
          p.push({
            label: `${n.name}:batchNorm`,
            reads: [x, gain, shift],
            writes: [out, mean, rstd, batch],
            make: (t) =>
              prepareBatchNormForwardBatch(
                rt,
                { x: xr(t), gamma: t(gain), beta: t(shift), y: yr(t), mean: t(mean), rstd: t(rstd), batchStats: t(batch) },
                { eps: op.eps },
              ),
          });
        } else {
          p.push({
            label: `${n.name}:batchNorm`,
            reads: [x, gain, shift, rm, rv],
            writes: [out],
            make: (t) =>
              prepareBatchNormForwardEval(rt, { x: xr(t), gamma: t(gain), beta: t(shift), runningMean: t(rm), runningVar: t(rv), y: yr(t) }, { eps: op.eps }),
          });
        }
        break;
      }
      case 'add':
        p.push({
          label: `${n.name}:add`,
          reads: ins,
          writes: [out],
          make: (t) => prepareAdd(rt, { a: t(ins[0]!), b: t(ins[1]!), out: t(out) }),
        });
        break;
      case 'input':
        break;
    }
  }
}

/**
 * Push each BatchNorm's commit of its batch statistics into its running statistics. Must follow the optimizer
 * update: the commit reads the halt flag (`control`) the update sets on the step whose loss or gradients went
 * non-finite, so that step and every later one leave the running statistics unchanged, as they leave the parameters.
 */
export function lowerStatsCommit(rt: Runtime, p: Program, g: Graph, m: ModelBuffers, control: string): void {
  const stat = (name: string) => p.persistent(`stat:${name}`, arenaView(rt, m.stats, m.statsLayout, name));
  for (const n of g.nodes) {
    const op = n.op;
    if (op.op !== 'batchNorm') continue;
    const [rm, rv, batch] = [stat(op.runningMean), stat(op.runningVar), batchStats(n.id)];
    p.push({
      label: `${n.name}:batchNorm:commit`,
      reads: [batch, control],
      writes: [rm, rv],
      make: (t) => prepareBatchNormCommit(rt, { batchStats: t(batch), control: t(control), runningMean: t(rm), runningVar: t(rv) }, { momentum: op.momentum }),
    });
  }
}

/** Push the loss op: per-row loss, the output's gradient (scaled by 1 / B for a mean) and per-row correctness. */
export function lowerLoss(rt: Runtime, p: Program, g: Graph, loss: LossKind, B: number, keys: { target: string; loss: string; correct: string }): void {
  const out = act(g.output.id);
  const dout = p.transient(grad(g.output.id), [B, g.outputDim]);
  // A sequence's rows are its B*T positions: one prediction (and one loss) per position.
  const rows = rowsView(rt, B, g.output);
  const gradScale = 1 / (B * rowsOf(g.output.shape));
  if (loss === 'cross_entropy') {
    p.push({
      label: 'loss',
      reads: [out, keys.target],
      writes: [keys.loss, dout, keys.correct],
      make: (t) =>
        prepareSoftmaxCrossEntropy(
          rt,
          { logits: rows(t(out)), labels: t(keys.target), loss: t(keys.loss), dlogits: rows(t(dout)), correct: t(keys.correct) },
          { gradScale },
        ),
    });
  } else {
    p.push({
      label: 'loss',
      reads: [out, keys.target],
      writes: [keys.loss, dout],
      make: (t) => prepareMse(rt, { pred: rows(t(out)), target: rows(t(keys.target)), loss: t(keys.loss), dpred: rows(t(dout)) }, { gradScale }),
    });
  }
}

/**
 * Push the backward ops, in reverse topological order, writing parameter gradients into the gradient arena.
 * `keepPreActivations` must match the forward's (whether it was lowered with activation telemetry).
 */
export function lowerBackward(
  rt: Runtime,
  p: Program,
  g: Graph,
  m: ModelBuffers,
  B: number,
  keepPreActivations = false,
  attention: AttentionChoice = 'auto',
): void {
  const param = (name: string) => p.persistent(`param:${name}`, arenaView(rt, m.params, m.layout, name));
  const pgrad = (name: string) => p.persistent(`pgrad:${name}`, arenaView(rt, m.grads, m.layout, name));
  const contributed = new Set<number>();
  const fused = fusedActivations(g, keepPreActivations);

  /** Route a contribution to input node `to`: the first writes its gradient, later ones go through scratch. */
  const contribute = (
    from: GraphNode,
    to: number,
    label: string,
    reads: string[],
    make: (out: string) => Parameters<typeof p.push>[0]['make'],
    extraWrites: string[] = [],
    /** The same op adding onto `out` instead of writing it: a later contribution then needs no scratch. */
    makeAdding?: (out: string) => Parameters<typeof p.push>[0]['make'],
    /** The op copies this tensor: as the first contribution the compiler may share its memory instead. */
    copyOf?: string,
  ) => {
    if (to === 0) return; // the data needs no gradient
    const target = p.transient(grad(to), [B, g.nodes[to]!.width]);
    if (!contributed.has(to)) {
      contributed.add(to);
      p.push({ label, reads, writes: [target, ...extraWrites], make: make(target), ...(copyOf ? { copy: { from: copyOf, to: target } } : {}) });
      return;
    }
    if (makeAdding) {
      p.push({ label, reads: [...reads, target], writes: [target, ...extraWrites], make: makeAdding(target) });
      return;
    }
    const scratch = p.transient(`scratch:${from.id}:${to}`, [B, g.nodes[to]!.width]);
    p.push({ label, reads, writes: [scratch, ...extraWrites], make: make(scratch) });
    p.push({ label: `${label}:accumulate`, reads: [scratch, target], writes: [target], make: (t) => prepareAccumulate(rt, { a: t(scratch), out: t(target) }) });
  };

  for (const n of [...g.nodes].reverse()) {
    if (n.id === 0) continue;
    const dy = grad(n.id);
    const x = act(n.inputs[0]!);
    const op = n.op;
    const [xr, yr] = [rowsView(rt, B, g.nodes[n.inputs[0]!]!), rowsView(rt, B, n)];
    if (isSequenceNode(n)) {
      lowerSequenceBackward(rt, p, g, n, B, { param, pgrad, attention }, (label, reads, make, scratch) =>
        contribute(n, n.inputs[0]!, label, reads, make, scratch),
      );
      continue;
    }
    if (isImageNode(n)) {
      const gate = poolGate(g, n);
      const to = gate ? gate.inputs[0]! : n.inputs[0]!;
      lowerImageBackward(rt, p, n, { x, dy, param, pgrad }, B, (label, reads, make) => contribute(n, to, label, reads, make), gate);
      continue;
    }
    switch (op.op) {
      case 'dense': {
        const w = param(op.weight);
        const dw = pgrad(op.weight);
        p.push({
          label: `${n.name}:dW`,
          reads: [dy, x],
          writes: [dw],
          make: (t) => prepareMatmul(rt, { a: yr(t(dy)), b: xr(t(x)), c: t(dw) }, { transA: true }),
        });
        if (op.bias) {
          const db = pgrad(op.bias);
          p.push({ label: `${n.name}:db`, reads: [dy], writes: [db], make: (t) => prepareSumRows(rt, { x: yr(t(dy)), out: t(db) }) });
        }
        const src = g.nodes[n.inputs[0]!]!;
        if (src.op.op === 'activation' && gatedActivation(g, src)) {
          // The activation before this layer is backpropagated in this product's epilogue: its input gradient
          // (dY . W) * act'(its output, or its input) in one dispatch, and its own backward step is skipped.
          const { activation, slope } = src.op;
          const gateFrom = derivativeFromOutput(activation, slope) ? 'output' : 'input';
          const gate = gateFrom === 'output' ? act(src.id) : act(src.inputs[0]!);
          contribute(
            n,
            src.inputs[0]!,
            `${n.name}:dX*${activation}'`,
            [dy, w, gate],
            (out) => (t) => prepareMatmul(rt, { a: yr(t(dy)), b: t(w), c: xr(t(out)), gate: xr(t(gate)) }, { gateActivation: activation, slope, gateFrom }),
          );
        } else {
          contribute(n, n.inputs[0]!, `${n.name}:dX`, [dy, w], (out) => (t) => prepareMatmul(rt, { a: yr(t(dy)), b: t(w), c: xr(t(out)) }));
        }
        break;
      }
      case 'activation': {
        if (gatedActivation(g, n)) break; // done in the epilogue of the next layer's input-gradient matmul
        // Fused into the dense node before it: the derivative comes from this node's own output.
        const fromOutput = fused.has(n.id);
        const src = fromOutput ? act(n.id) : x;
        contribute(
          n,
          n.inputs[0]!,
          `${n.name}:d${op.activation}`,
          [src, dy],
          (out) => (t) => prepareActivationGrad(rt, { x: t(src), dy: t(dy), dx: t(out) }, { activation: op.activation, slope: op.slope, fromOutput }),
        );
        break;
      }
      case 'layerNorm': {
        const [gain, mean, rstd] = [param(op.gain), `ln:mean:${n.id}`, `ln:rstd:${n.id}`];
        const [dgain, dshift] = [pgrad(op.gain), pgrad(op.shift)];
        p.push({
          label: `${n.name}:dLayerNormParams`,
          reads: [x, mean, rstd, dy],
          writes: [dgain, dshift],
          make: (t) => prepareLayerNormBackwardParams(rt, { x: xr(t(x)), mean: t(mean), rstd: t(rstd), dy: yr(t(dy)), dgamma: t(dgain), dbeta: t(dshift) }),
        });
        const lnBackward = (accumulate: boolean) => (out: string) => (t: (k: string) => Tensor) =>
          prepareLayerNormBackward(rt, { x: xr(t(x)), gamma: t(gain), mean: t(mean), rstd: t(rstd), dy: yr(t(dy)), dx: xr(t(out)) }, { accumulate });
        // A residual stream's LayerNorm is its input's second contribution: it adds onto the gradient in place.
        contribute(n, n.inputs[0]!, `${n.name}:dLayerNorm`, [x, gain, mean, rstd, dy], lnBackward(false), [], lnBackward(true));
        break;
      }
      case 'batchNorm': {
        const [gain, mean, rstd] = [param(op.gain), `bn:mean:${n.id}`, `bn:rstd:${n.id}`];
        const [dgain, dshift] = [pgrad(op.gain), pgrad(op.shift)];
        // One kernel writes dX and the parameter gradients together, so the input's gradient always goes
        // through its own key here (the first contribution, or scratch plus an accumulate).
        const rows = [(B * n.width) / op.channels, op.channels];
        const r = (t: (k: string) => Tensor, key: string) => reshape(rt, t(key), rows);
        const make = (out: string) => (t: (k: string) => Tensor) =>
          prepareBatchNormBackward(rt, {
            x: r(t, x),
            gamma: t(gain),
            mean: t(mean),
            rstd: t(rstd),
            dy: r(t, dy),
            dx: r(t, out),
            dgamma: t(dgain),
            dbeta: t(dshift),
          });
        const reads = [x, gain, mean, rstd, dy];
        if (n.inputs[0] === 0) {
          // Normalising the data itself: its gradient is thrown away, the parameters' are not.
          const sink = p.transient(`scratch:${n.id}:0`, [B, n.width]);
          p.push({ label: `${n.name}:dBatchNorm`, reads, writes: [sink, dgain, dshift], make: make(sink) });
        } else {
          contribute(n, n.inputs[0]!, `${n.name}:dBatchNorm`, reads, make);
        }
        break;
      }
      case 'add':
        // dy goes to each input: as a copy, which the compiler drops where the input's gradient can share dy's
        // memory, or added onto a gradient already there.
        for (const input of n.inputs) {
          contribute(
            n,
            input,
            `${n.name}:dAdd`,
            [dy],
            (out) => (t) => prepareScale(rt, { a: t(dy), out: t(out) }, 1),
            [],
            (out) => (t) => prepareAccumulate(rt, { a: t(dy), out: t(out) }),
            dy,
          );
        }
        break;
      case 'input':
        break;
    }
  }
}
