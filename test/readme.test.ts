// README's TypeScript examples, run as written: documentation that cannot go stale unnoticed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => code.includes("from 'descent'"));

describe("README's examples", () => {
  it('there are examples to run', () => expect(examples.length).toBeGreaterThanOrEqual(2));
  examples.forEach((code, i) => {
    const title = code.split('\n').find((l) => !l.startsWith('import') && l.trim()) ?? '';
    it(`example ${i + 1} runs: ${title.slice(0, 60)}`, async () => {
      const dir = join(root, 'test', '.readme');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `example${i + 1}.ts`);
      writeFileSync(file, code);
      const logs: unknown[][] = [];
      const log = console.log;
      console.log = (...a: unknown[]) => logs.push(a);
      try {
        await import(/* @vite-ignore */ pathToFileURL(file).href);
      } finally {
        console.log = log;
      }
      expect(logs.length).toBeGreaterThan(0);
    }, 120_000);
  });
});
