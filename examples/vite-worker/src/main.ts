// The page: starts the training worker, shows its progress and draws the loss curve on a canvas.
import type { Progress } from './messages';

const status = document.querySelector<HTMLElement>('#status')!;
const canvas = document.querySelector<HTMLCanvasElement>('#loss')!;
const losses: number[] = [];

/** The loss per epoch as a line, scaled to the canvas, with the first loss at the top. */
function draw(epochs: number): void {
  const g = canvas.getContext('2d')!;
  const { width: w, height: h } = canvas;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = '#888';
  g.strokeRect(0.5, 0.5, w - 1, h - 1);
  const top = Math.max(...losses);
  g.strokeStyle = '#1f6feb';
  g.lineWidth = 2;
  g.beginPath();
  losses.forEach((loss, i) => {
    const x = 8 + ((w - 16) * i) / Math.max(1, epochs - 1);
    const y = h - 8 - ((h - 16) * loss) / top;
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

const worker = new Worker(new URL('./train.worker.ts', import.meta.url), { type: 'module' });
worker.onmessage = (ev: MessageEvent<Progress>) => {
  const m = ev.data;
  if (m.kind === 'adapter') status.textContent = `Training on ${m.description}…`;
  else if (m.kind === 'epoch') {
    losses.push(m.loss);
    draw(m.epochs);
    status.textContent = `Epoch ${m.epoch}/${m.epochs}: loss ${m.loss.toFixed(3)}, accuracy ${(100 * m.accuracy).toFixed(1)}%`;
  } else if (m.kind === 'done') {
    status.textContent = `Done: accuracy ${(100 * m.accuracy).toFixed(1)}% on the training set.`;
    document.body.dataset.status = 'done';
  } else {
    status.textContent = `Training failed: ${m.message}`;
    document.body.dataset.status = 'error';
  }
};
worker.onerror = (ev) => {
  status.textContent = `The worker failed to start: ${ev.message}`;
  document.body.dataset.status = 'error';
};
