// The command line's output carries no Dawn limit warnings (printed by native code while the Vulkan adapter is
// enumerated), and loses nothing else: the filter its child process's stderr goes through, and whole runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DAWN_LIMIT_WARNING, WarningFilter } from '../src/cli/quiet.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'descent.js');

const WARNINGS = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n',
];

async function node(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: root, timeout: 180_000, env: { ...process.env, NODE_ENV: 'production' } });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('the stderr filter', () => {
  const kept = [
    'descent: batch size must be an integer\n',
    'Warning: something else entirely\n',
    'Warning: maxDynamicUniformBuffersPerPipelineLayout is fine\n',
    '\repoch 1/3 [##....] step 2/9   ',
    '\r\x1b[K',
    'done\n',
    'no newline at the end',
  ];
  const input = [kept[0], WARNINGS[0], kept[1], WARNINGS[1], kept[2], kept[3], kept[4], kept[5], WARNINGS[0], kept[6]].join('');
  const want = kept.join('');

  it('drops exactly the two warning lines, however the text is cut into chunks', () => {
    expect(WARNINGS.every((w) => DAWN_LIMIT_WARNING.test(w.trimEnd()))).toBe(true);
    for (let cut = 0; cut <= input.length; cut++) {
      for (const size of [1, 7, 64]) {
        let got = '';
        const f = new WarningFilter((t) => (got += t));
        f.push(input.slice(0, cut));
        for (let i = cut; i < input.length; i += size) f.push(input.slice(i, i + size));
        f.end();
        expect(got, `cut at ${cut}, then chunks of ${size}`).toBe(want);
      }
    }
  });

  it('passes a progress update on at once, and text that only continues a line', () => {
    let got = '';
    const f = new WarningFilter((t) => (got += t));
    f.push('\repoch 1/3 [#.....]');
    expect(got).toBe('\repoch 1/3 [#.....]');
    f.push(WARNINGS[0]!); // glued to the progress text, so part of another line
    expect(got).toBe(`\repoch 1/3 [#.....]${WARNINGS[0]}`);
    f.push('Warning: maxDynamic');
    expect(got).toBe(`\repoch 1/3 [#.....]${WARNINGS[0]}`); // may still become a warning: held
    f.push('Storage is something else\n');
    expect(got).toBe(`\repoch 1/3 [#.....]${WARNINGS[0]}Warning: maxDynamicStorage is something else\n`);
  });
});

describe('descent output', () => {
  it('Dawn prints the warnings when it opens this adapter (so the checks below can fail)', async () => {
    const probe = "import { create, globals } from 'webgpu'; Object.assign(globalThis, globals); await create([]).requestAdapter();";
    const r = await node(['--input-type=module', '-e', probe]);
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).toContain('artificially reduced');
  }, 60_000);

  it('descent train: no Dawn warnings, everything else as before', async () => {
    const r = await node([bin, 'train', '--dataset', 'xor', '--hidden', '4', '--batch', '20', '--epochs', '2', '--samples', '100']);
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).not.toContain('artificially reduced');
    expect(r.out).toMatch(/^adapter: .*\nmodel: 2-4-2 .*\nepoch 1\/2: .*\nepoch 2\/2: .*\ntest accuracy [\d.]+% .*\n$/);
    const bad = await node([bin, 'train', '--dataset', 'moons', '--samples', '100', '--batch', '500']);
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('descent: batch size must be an integer from 1 to the dataset size (80), got 500\n');
  }, 240_000);
});
