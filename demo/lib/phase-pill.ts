// A training lab's phase on the page: the pill's text and colour, the stats panel's data-phase (which the
// end-to-end tests read), the Start / Pause / Reset buttons and the divergence warning.
import { el as $ } from '../shell.js';
import type { Phase } from './train-runner.js';

/** Labels that differ between labs: what is loading, and what to do after a divergence. */
export interface PhaseText {
  loading: string;
  diverged: string;
}

/** Shows phase `p` (`detail` says why training diverged); returns whether the lab is idle (ready or paused). */
export function showPhase(p: Phase, stats: HTMLElement, text: PhaseText, detail = ''): boolean {
  const label: Record<Phase, string> = {
    loading: text.loading,
    compiling: 'compiling kernels…',
    ready: 'ready',
    running: 'training',
    paused: 'paused',
    diverged: 'diverged',
  };
  const pill = $('phase');
  pill.textContent = label[p];
  pill.className = `phase phase-${p === 'loading' || p === 'compiling' ? 'busy' : p}`;
  stats.dataset.phase = p;
  const idle = p === 'ready' || p === 'paused';
  $<HTMLButtonElement>('start').disabled = !idle;
  $<HTMLButtonElement>('pause').disabled = p !== 'running';
  $<HTMLButtonElement>('reset').disabled = !(idle || p === 'running' || p === 'diverged');
  $('warning').hidden = p !== 'diverged';
  if (p === 'diverged') $('warning').textContent = `${detail} ${text.diverged}`;
  return idle;
}
