// What may use a network now: not once it or its runtime is destroyed or the device lost (DeviceError), and
// one mutating operation at a time (BusyError): two fits interleaving their steps would share one metrics
// ring and one set of batch buffers, and a reset or load in the middle of a fit would leave its counters
// and parameters disagreeing.
import { BusyError, DeviceError } from '../core/errors.js';
import type { Runtime } from '../gpu/runtime.js';

export class NetworkGuard {
  private dead = false;
  /** What holds the network (a fit, a session's run, a reset), or null. */
  private holder: string | null = null;
  /** The last evaluation queued (evaluate, predict); settles, never rejects. */
  private evaluations: Promise<unknown> = Promise.resolve();

  /** The runtime's device the network's buffers live on (Runtime.generation). */
  private generation: number;

  constructor(private readonly rt: Runtime) {
    this.generation = rt.generation;
  }

  /** The network's buffers were made again on the runtime's current device (after a recovery). */
  adopt(): void {
    this.generation = this.rt.generation;
  }

  /** The operation holding the network, or null. */
  get busy(): string | null {
    return this.holder;
  }

  /** The network was destroyed. */
  get destroyed(): boolean {
    return this.dead;
  }

  /** Mark the network destroyed: every later check throws. */
  destroy(): void {
    this.dead = true;
  }

  /**
   * Hold the network for `what` until the returned release is called; meanwhile fit, a session's run, reset,
   * setOptimizer and loads are a BusyError (predict and evaluate only read, and stay allowed).
   */
  claim(what: string): () => void {
    this.checkIdle(what);
    this.holder = what;
    let held = true;
    return () => {
      if (held) this.holder = null;
      held = false;
    };
  }

  /** Throw if `what` cannot start now: the network destroyed (DeviceError) or held by another operation (BusyError). */
  checkIdle(what: string): void {
    this.checkUsable();
    if (this.holder) throw new BusyError(`${what}: the network is busy with ${this.holder}; wait for it to end (stop() ends a fit early)`);
  }

  /**
   * Run `fn` once every evaluation queued before it has finished: evaluations of one batch size share its
   * plan's input and output buffers, so two at once would read each other's outputs.
   */
  inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.evaluations.then(fn);
    this.evaluations = run.catch(() => undefined);
    return run;
  }

  /** Flag tests, cheap enough for every step: a destroyed network, or a destroyed or lost runtime, is a DeviceError. */
  checkUsable(): void {
    if (this.dead) throw new DeviceError('this network was destroyed; compile a new one');
    this.rt.checkAlive();
    if (this.generation !== this.rt.generation) {
      throw new DeviceError(
        "this network's buffers were on a GPU device that was lost and replaced while another network's fit recovered; " +
          'compile it again (load its last snapshot or checkpoint)',
      );
    }
  }
}
