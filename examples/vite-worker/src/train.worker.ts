// Trains a small classifier on the GPU inside a dedicated worker, so the page never waits on the GPU; progress goes
// to the page as messages. WebGPU is available in workers (navigator.gpu), and Descent finds it there itself.
import { adam, compile, createRuntime, dense, sequential, spiral } from 'descent';
import type { Progress } from './messages';

const post = (m: Progress): void => self.postMessage(m);

async function train(): Promise<void> {
  const rt = await createRuntime();
  post({ kind: 'adapter', description: rt.description });
  const data = spiral({ n: 300, classes: 3, seed: 7 });
  const model = sequential(2, [dense(32, { activation: 'relu' }), dense(32, { activation: 'relu' }), dense(3)], { seed: 1 });
  const net = await compile(rt, model, { loss: 'cross_entropy', optimizer: adam({ lr: 0.01 }) });
  const epochs = 40;
  await net.fit(data, {
    epochs,
    batchSize: 32,
    // m.epoch counts from 0.
    onEpoch: (m) => post({ kind: 'epoch', epoch: m.epoch + 1, epochs, loss: m.loss, accuracy: m.accuracy }),
  });
  const { accuracy } = await net.evaluate(data);
  post({ kind: 'done', accuracy });
  rt.destroy();
}

train().catch((e: unknown) => post({ kind: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
