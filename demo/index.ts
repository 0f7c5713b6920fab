// The landing page: one card per lab.
import { LABS, renderNav, setStatus } from './shell.js';

renderNav('');
const cards = document.getElementById('labs')!;
for (const lab of LABS) {
  const a = document.createElement('a');
  a.className = 'card';
  a.href = lab.href;
  const h = document.createElement('h2');
  h.textContent = lab.title;
  const p = document.createElement('p');
  p.textContent = lab.blurb;
  a.append(h, p);
  cards.append(a);
}
setStatus('ready');
