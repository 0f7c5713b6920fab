// Text from the Language model lab's network: the prompt encoded (a character outside the sonnets' vocabulary is
// reported, not thrown), then `net.generate` on the GPU where the network has it, otherwise the same sampling on
// the CPU through the reference forward of the weights read back.
import { DataError, type CharTokenizer, type Model, type Network, type OptimizerDef, type TensorRecord } from '../../src/index.js';
import { cpuModel, generateOnCpu, type SampleOptions } from './lm-cpu.js';
import type { TrainRunner } from './train-runner.js';

/** Characters generated per sample. */
export const GEN_TOKENS = 160;
/** Sampling from the 20 likeliest characters keeps a rare character's tiny probability from derailing a sample. */
const TOP_K = 20;

export interface Generated {
  /** The prompt as the model saw it (its last context - 1 characters at most). */
  prompt: string;
  /** The generated characters. */
  text: string;
  engine: 'gpu' | 'cpu';
}

type Generating = { generate?: (prompt: Uint32Array, o: SampleOptions) => Promise<ArrayLike<number>> };

/** GEN_TOKENS characters after `promptText`, or a message saying why the prompt cannot be used. */
export async function generateText(
  runner: TrainRunner,
  model: Model,
  optimizer: OptimizerDef,
  tokenizer: CharTokenizer,
  promptText: string,
  o: { temperature: number; seed: number },
): Promise<Generated | string> {
  const T = model.graph.tokens!;
  let ids: Uint32Array;
  try {
    // An empty prompt starts a new line, as a sonnet's lines do.
    ids = tokenizer.encode(promptText || '\n');
  } catch (e) {
    if (e instanceof DataError) return `Prompt: ${e.message}. The model knows only the characters of the sonnets.`;
    throw e;
  }
  // One position is left for the first generated character's context to include it.
  ids = ids.subarray(Math.max(0, ids.length - (T - 1)));
  const options: SampleOptions = { tokens: GEN_TOKENS, temperature: o.temperature, topK: TOP_K, seed: o.seed };
  type Result = { engine: 'gpu'; out: ArrayLike<number> } | { engine: 'cpu'; record: TensorRecord };
  const result = await runner.withNet(async (net: Network & Generating): Promise<Result> => {
    if (typeof net.generate === 'function') return { engine: 'gpu', out: await net.generate(ids, options) };
    return { engine: 'cpu', record: await net.parameters() };
  });
  if (!result) return 'No network yet.';
  const out =
    result.engine === 'gpu' ? result.out : await generateOnCpu(cpuModel(model, optimizer, result.record), ids, options, () => new Promise((r) => setTimeout(r, 0)));
  return { prompt: tokenizer.decode(ids), text: tokenizer.decode(out), engine: result.engine };
}
