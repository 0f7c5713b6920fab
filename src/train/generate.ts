// Text generation with a key/value cache: the decode plan (src/scheduler/decode.ts) made once per network, a
// prefill of the prompt, then one token per step, drawn on the GPU and fed back on the GPU; the CPU reads back only
// the token ids, once per submit of up to `context` steps. The window of tokens the model sees starts as the
// prompt's last `context` tokens and grows by one per token; when it would outgrow the context it restarts as its
// last ceil(context / 2) tokens, which a new prefill re-encodes at positions 0.. (learned positions cannot slide).
import { DataError, DeviceError, OptionError } from '../core/errors.js';
import type { Runtime } from '../gpu/runtime.js';
import { samplingUniforms, type SamplingOptions } from '../kernels/sample.js';
import type { Model } from '../nn/model.js';
import { compileDecode, decodeShape, type DecodePlan } from '../scheduler/decode.js';

/** Options of `net.generate`. */
export interface GenerateOptions extends SamplingOptions {
  /** How many new tokens to generate (1 .. 1,000,000). */
  tokens: number;
  /** Called with the new ids as each batch of them comes back from the GPU (for streaming). */
  onTokens?: (ids: Uint32Array) => void;
}

/** Most decode steps encoded into one submit (one read-back each). */
const STEPS_PER_SUBMIT = 64;

/** Tokens the window keeps when it restarts (see the file comment). */
export const windowKeep = (context: number): number => Math.max(1, Math.ceil(context / 2));

/** The checked options, with a seed drawn at random when none is given; an OptionError names the first bad one. */
export function checkGenerateOptions(o: GenerateOptions, vocab: number): { tokens: number; temperature: number; top_k: number; seed: number } {
  if (typeof o !== 'object' || o === null) throw new OptionError('generate: options must be an object with at least { tokens }');
  const n = o.tokens;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new OptionError(`generate: tokens must be an integer in 1..1000000 (how many new tokens), got ${String(n)}`);
  }
  if (o.onTokens !== undefined && typeof o.onTokens !== 'function') throw new OptionError('generate: onTokens must be a function');
  const seed = o.seed ?? Math.floor(Math.random() * 0x100000000);
  return { tokens: n, ...samplingUniforms({ ...o, seed }, vocab, 'generate') };
}

/** The prompt as u32 ids, its last `context` kept; a DataError names an id outside the vocabulary. */
export function checkPrompt(prompt: ArrayLike<number>, vocab: number, context: number): Uint32Array {
  if (!(prompt instanceof Uint32Array || prompt instanceof Int32Array || Array.isArray(prompt))) {
    throw new DataError(`generate: the prompt must be token ids as a Uint32Array, Int32Array or number[], got ${Object.prototype.toString.call(prompt)}`);
  }
  if (prompt.length === 0) throw new DataError('generate: the prompt needs at least one token id');
  for (let i = 0; i < prompt.length; i++) {
    const v = prompt[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < vocab)) throw new DataError(`generate: prompt id ${v} at position ${i} is outside the vocabulary [0, ${vocab})`);
  }
  return Uint32Array.from(Array.prototype.slice.call(prompt, -context) as number[]);
}

/** Decodes with one network's parameters; made on the first generate() and kept until the network is destroyed. */
export class Decoder {
  private readonly window: Uint32Array;
  private readonly stateInit = new Uint32Array(2);

  private constructor(
    private readonly rt: Runtime,
    private readonly plan: DecodePlan,
    private readonly staging: GPUBuffer,
  ) {
    this.window = new Uint32Array(plan.T + 1);
  }

  /** Check that the model can decode (before anything is made), then make the plan and its read-back buffer. */
  static async create(rt: Runtime, model: Model, params: GPUBuffer): Promise<Decoder> {
    decodeShape(model);
    const plan = await compileDecode(rt, model, params);
    const staging = rt.buffers.create(Math.min(plan.T, STEPS_PER_SUBMIT) * 4, {
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'decode read-back',
    });
    return new Decoder(rt, plan, staging);
  }

  get vocab(): number {
    return this.plan.vocab;
  }

  get context(): number {
    return this.plan.T;
  }

  /** Generate `o.tokens` new ids after the (checked) prompt. */
  async run(prompt: Uint32Array, o: ReturnType<typeof checkGenerateOptions>, onTokens?: (ids: Uint32Array) => void): Promise<Uint32Array> {
    const { rt, plan, window } = this;
    const T = plan.T;
    const q = rt.device.queue;
    plan.sample.setUniforms('params', { temperature: o.temperature, top_k: o.top_k, seed: o.seed });
    const out = new Uint32Array(o.tokens);
    let done = 0;
    let length = prompt.length;
    window.set(prompt);
    while (done < o.tokens) {
      // A (re)start: the window's ids at positions 0.., the position at 0, the draw counter at the tokens so far.
      q.writeBuffer(plan.tokens, 0, window.buffer, 0, length * 4);
      this.stateInit[0] = 0;
      this.stateInit[1] = done;
      q.writeBuffer(plan.state, 0, this.stateInit);
      let prefill = length - 1;
      let room = Math.min(o.tokens - done, T - length + 1);
      while (room > 0) {
        const steps = Math.min(room, STEPS_PER_SUBMIT);
        const ids = await this.submit(prefill, steps, length);
        prefill = 0;
        window.set(ids, length);
        out.set(ids, done);
        length += steps;
        done += steps;
        room -= steps;
        onTokens?.(ids);
      }
      if (length > T) {
        const keep = windowKeep(T);
        window.copyWithin(0, length - keep, length);
        length = keep;
      }
    }
    return out;
  }

  /** Encode `prefill` prompt steps and `steps` decode steps in one pass, read back the ids drawn into tokens[first..]. */
  private async submit(prefill: number, steps: number, first: number): Promise<Uint32Array> {
    const { rt, plan, staging } = this;
    rt.checkAlive();
    const enc = rt.device.createCommandEncoder({ label: 'generate' });
    const pass = enc.beginComputePass({ label: 'generate' });
    for (let i = 0; i < prefill; i++) for (const d of plan.prefill) d.encode(pass);
    for (let i = 0; i < steps; i++) for (const d of plan.decode) d.encode(pass);
    pass.end();
    enc.copyBufferToBuffer(plan.tokens, first * 4, staging, 0, steps * 4);
    rt.device.queue.submit([enc.finish()]);
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, steps * 4);
    } catch (e) {
      rt.checkAlive();
      throw new DeviceError(`generate: reading back the tokens failed: ${(e as Error).message}`);
    }
    const ids = new Uint32Array(staging.getMappedRange(0, steps * 4).slice(0));
    staging.unmap();
    rt.checkErrors();
    return ids;
  }

  /** Free the plan's buffers and dispatches. */
  destroy(): void {
    this.plan.destroy();
    this.rt.buffers.free(this.staging);
  }
}

/** A checked generate() request. */
export interface GenerateRequest {
  prompt: Uint32Array;
  options: ReturnType<typeof checkGenerateOptions>;
  onTokens?: (ids: Uint32Array) => void;
}

/** Check a generate() call against a model before anything is made or written (OptionError, DataError). */
export function checkGenerate(model: Model, prompt: ArrayLike<number>, options: GenerateOptions): GenerateRequest {
  const shape = decodeShape(model);
  const checked = checkGenerateOptions(options, shape.logits);
  return { prompt: checkPrompt(prompt, shape.vocab, shape.T), options: checked, onTokens: options.onTokens };
}

/** A network's decoder: made on first use, remade if the parameter arena moves (a new device), freed with the network. */
export class DecoderSlot {
  private made: { params: GPUBuffer; decoder: Promise<Decoder> } | null = null;

  /** Run a checked request with the decoder for these parameters. */
  async run(rt: Runtime, model: Model, params: GPUBuffer, r: GenerateRequest): Promise<Uint32Array> {
    if (this.made?.params !== params) {
      await this.destroy();
      const decoder = Decoder.create(rt, model, params);
      this.made = { params, decoder };
      decoder.catch(() => {
        if (this.made?.decoder === decoder) this.made = null;
      });
    }
    return (await this.made!.decoder).run(r.prompt, r.options, r.onTokens);
  }

  /** Free the decoder, if one was made. */
  async destroy(): Promise<void> {
    const made = this.made;
    this.made = null;
    (await made?.decoder.catch(() => null))?.destroy();
  }
}
