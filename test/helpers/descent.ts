// Runs the `descent` command line as a user would: a separate Node process through bin/descent.js.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'descent.js');

/** The command's exit code, stdout and stderr (never rejects; killed after 180 s). */
export async function descent(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 180_000, env: { ...process.env, NODE_ENV: 'production' } });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
