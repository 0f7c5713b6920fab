// Text from the Language model lab's network: the prompt encoded (a character outside the sonnets' vocabulary is
// reported, not thrown), then `net.generate` on the GPU, queued between training steps.
import { DataError, type CharTokenizer } from '../../src/index.js';
import type { TrainRunner } from './train-runner.js';

/** Characters generated per sample. */
export const GEN_TOKENS = 160;
/** Sampling from the 20 likeliest characters keeps a rare character's tiny probability from derailing a sample. */
const TOP_K = 20;

export interface Generated {
  /** The prompt (of which generate() reads the last context characters). */
  prompt: string;
  /** The generated characters. */
  text: string;
}

/** GEN_TOKENS characters after `promptText`, or a message saying why the prompt cannot be used. */
export async function generateText(
  runner: TrainRunner,
  tokenizer: CharTokenizer,
  promptText: string,
  o: { temperature: number; seed: number },
): Promise<Generated | string> {
  let ids: Uint32Array;
  try {
    // An empty prompt starts a new line, as a sonnet's lines do.
    ids = tokenizer.encode(promptText || '\n');
  } catch (e) {
    if (e instanceof DataError) return `Prompt: ${e.message}. The model knows only the characters of the sonnets.`;
    throw e;
  }
  const out = await runner.withNet((net) => net.generate(ids, { tokens: GEN_TOKENS, temperature: o.temperature, topK: TOP_K, seed: o.seed }));
  if (!out) return 'No network yet.';
  return { prompt: tokenizer.decode(ids), text: tokenizer.decode(out) };
}
