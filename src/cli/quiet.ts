// Dawn prints two warnings to stderr from native code each time it opens a Vulkan adapter whose dynamic-buffer
// limits exceed its own (lavapipe reports 1,000,000): "maxDynamicUniformBuffersPerPipelineLayout artificially
// reduced ...", and the same for storage buffers. They are printed while the adapter is enumerated, before any
// limit is requested (asking for those limits does not help), and Node cannot redirect a native write to fd 2. So
// the command line runs its GPU work in a child process and drops exactly those lines from the child's stderr;
// everything else passes through as it comes, and the progress bar goes to the terminal directly.
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { constants } from 'node:os';

/** One of Dawn's two limit warnings, as a whole line. */
export const DAWN_LIMIT_WARNING =
  /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;
const WARNING_START = 'Warning: maxDynamic';

/** Set in the child's environment: it is the filtered child (run the command, do not relaunch). */
export const CHILD_ENV = 'DESCENT_CLI_CHILD';
/**
 * Set in the child's environment when the parent's stderr is a terminal: the child then has that terminal as fd 3,
 * for the progress bar, which must not lag behind stdout as text through the filter's pipe would.
 */
export const TTY_ENV = 'DESCENT_STDERR_TTY';
const TERMINAL_FD = 3;

/** Whether progress can be drawn: stderr is a terminal, or the parent of a filtered child passed its terminal. */
export function stderrIsTerminal(): boolean {
  return process.stderr.isTTY === true || process.env[TTY_ENV] === '1';
}

/** Write progress (carriage returns, line clears) to the terminal stderrIsTerminal() found. */
export function writeProgress(text: string): void {
  if (process.env[TTY_ENV] === '1' && !process.stderr.isTTY) writeSync(TERMINAL_FD, text);
  else process.stderr.write(text);
}

/**
 * Passes text to `write` as it arrives, less the whole lines that are Dawn's limit warnings. Only text that may
 * still become such a line (an unfinished line starting like one) is held back until its line ends.
 */
export class WarningFilter {
  private pending = '';
  /** Text of the current line has been written: what follows until the next newline cannot start a warning. */
  private midLine = false;

  constructor(private readonly write: (text: string) => void) {}

  push(chunk: string): void {
    const lines = (this.pending + chunk).split('\n');
    const rest = lines.pop()!;
    let out = '';
    lines.forEach((line, i) => {
      if ((i === 0 && this.midLine) || !DAWN_LIMIT_WARNING.test(line)) out += `${line}\n`;
    });
    if (lines.length > 0) this.midLine = false;
    const maybeWarning = !this.midLine && (WARNING_START.startsWith(rest) || rest.startsWith(WARNING_START));
    this.pending = maybeWarning ? rest : '';
    if (!maybeWarning) {
      out += rest;
      this.midLine ||= rest.length > 0;
    }
    if (out) this.write(out);
  }

  /** Flush what was held: the stream ended without a newline. */
  end(): void {
    if (this.pending && !DAWN_LIMIT_WARNING.test(this.pending)) this.write(this.pending);
    this.pending = '';
  }
}

/**
 * Run `script` with `args` in a child Node process (same Node options), stdin and stdout shared, stderr through
 * a WarningFilter; resolves with the child's exit status (128 + the signal number if a signal ended it).
 */
export function runFiltered(script: string, args: readonly string[]): Promise<number> {
  const env = { ...process.env, [CHILD_ENV]: '1', ...(process.stderr.isTTY ? { [TTY_ENV]: '1' } : {}) };
  const terminal = process.stderr.isTTY ? [2] : [];
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { env, stdio: ['inherit', 'inherit', 'pipe', ...terminal] });
  const filter = new WarningFilter((text) => process.stderr.write(text));
  const errors = child.stderr!; // stdio[2] is 'pipe'
  errors.setEncoding('utf8');
  errors.on('data', (chunk: string) => filter.push(chunk));
  // Ctrl-C reaches the whole foreground process group: the child handles it, and the parent waits for its exit.
  const ignore = () => {};
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
