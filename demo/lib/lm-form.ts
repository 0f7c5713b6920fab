// The Language model lab's form: the model and training fields, their starting values from the page's address
// (?layers=1&heads=2&channels=32&context=32&lr=0.01&batch=8 gives a link to a configuration), and the attention
// view's block and head choices, which follow the model.
import { DEFAULT_CONFIG, configProblem, type LmConfig } from './lm-model.js';
import { el as $ } from '../shell.js';

const FIELDS = Object.keys(DEFAULT_CONFIG) as (keyof LmConfig)[];

/** Put the address's values (where given) into the form. */
export function applyQuery(search: string): void {
  const q = new URLSearchParams(search);
  for (const f of FIELDS) {
    const v = q.get(f);
    if (v !== null) $<HTMLInputElement>(f).value = v;
  }
}

/** The form's configuration, or the reason it cannot be built (also shown under the fields). */
export function readConfig(): { config: LmConfig; problem: string | null } {
  const config = Object.fromEntries(FIELDS.map((f) => [f, Number($<HTMLInputElement>(f).value)])) as unknown as LmConfig;
  const problem = configProblem(config);
  const box = $('config-error');
  box.hidden = problem === null;
  box.textContent = problem ?? '';
  return { config, problem };
}

/** Call `fn` when a model field or the batch changes (a rebuild), `rate` when only the learning rate does. */
export function onConfigChange(fn: () => void, rate: () => void): void {
  for (const f of FIELDS) $(f).addEventListener('change', f === 'lr' ? rate : fn);
}

/** One option per block and per head of the model, keeping the current choices where they still exist. */
export function fillAttentionChoices(c: LmConfig): void {
  const fill = (id: string, n: number, label: string) => {
    const sel = $<HTMLSelectElement>(id);
    const keep = Math.min(Number(sel.value || 0), n - 1);
    sel.replaceChildren(
      ...Array.from({ length: n }, (_, i) => {
        const o = document.createElement('option');
        o.value = String(i);
        o.textContent = `${label} ${i + 1}`;
        return o;
      }),
    );
    sel.value = String(keep);
  };
  fill('attn-layer', c.layers, 'block');
  fill('attn-head', c.heads, 'head');
}
