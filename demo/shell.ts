// What every page of the demo shares: the navigation bar, acquiring the GPU (or explaining how to get
// one), and the data-status flag the end-to-end tests wait for.
import { NoAdapterError, createRuntime, type Runtime } from '../src/index.js';
import { BROWSER_INSTALL_HINT } from '../src/gpu/device.js';

export interface LabInfo {
  id: string;
  title: string;
  href: string;
  /** One line for the landing page. */
  blurb: string;
}

/** The demo's pages, in navigation order. */
export const LABS: readonly LabInfo[] = [
  { id: 'train', title: 'Train', href: './train.html', blurb: 'Pick data, a network and an optimizer; watch it learn, draw a digit.' },
  { id: 'conv', title: 'Convolutions', href: './conv.html', blurb: 'A small CNN beside an MLP on MNIST: its filters and feature maps as it learns.' },
  { id: 'lm', title: 'Language model', href: './lm.html', blurb: 'A character-level GPT learns the sonnets: bits per character, samples, attention maps.' },
  { id: 'race', title: 'Optimizer race', href: './race.html', blurb: 'The same network and data trained by several optimizers at once.' },
  { id: 'landscapes', title: 'Loss landscapes', href: './landscapes.html', blurb: 'Optimizer paths on valleys, saddles and many minima.' },
  { id: 'gradients', title: 'Vanishing gradients', href: './gradients.html', blurb: 'Per-layer gradients of a deep net, and what cures them.' },
  { id: 'selftest', title: 'Kernel self-test', href: './selftest.html', blurb: 'Every kernel on your GPU against the CPU reference.' },
  { id: 'bench', title: 'Benchmarks', href: './bench.html', blurb: 'Matmul, memory and training throughput on your GPU, beside TF.js and jax-js.' },
];

/** Fill <nav id="nav"> with links to every page, marking the current one. */
export function renderNav(current: string): void {
  const nav = document.getElementById('nav');
  if (!nav) return;
  nav.className = 'nav';
  nav.setAttribute('aria-label', 'Demo pages');
  const brand = document.createElement('a');
  brand.className = 'brand';
  brand.href = './index.html';
  brand.textContent = 'Descent';
  nav.replaceChildren(brand);
  for (const lab of LABS) {
    const a = document.createElement('a');
    a.className = 'nav-item';
    a.href = lab.href;
    a.textContent = lab.title;
    if (lab.id === current) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
}

/** The page element with this id; throws naming the page and the id when the markup lacks it. */
export function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`${location.pathname}: missing element #${id}`);
  return found as T;
}

/** A new element with an optional class and text. */
export function make<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Set <body data-status> (e.g. 'ready', 'running', 'done', 'no-webgpu', 'error') for people and tests. */
export function setStatus(status: string): void {
  document.body.dataset.status = status;
}

/** The page's panel #id (created at the top of <main> if the page has none), shown, with the given classes. */
function messagePanel(id: string, className: string): HTMLElement {
  let panel = document.getElementById(id);
  if (!panel) {
    panel = document.createElement('section');
    panel.id = id;
    document.querySelector('main')?.prepend(panel);
  }
  panel.className = className;
  panel.hidden = false;
  return panel;
}

/** Show the standard "WebGPU is not available" panel (#no-webgpu, created if the page has none). */
export function showNoWebGpu(reason: string): void {
  const panel = messagePanel('no-webgpu', 'panel panel-warn');
  const h = document.createElement('h2');
  h.textContent = 'WebGPU is not available';
  const p = document.createElement('p');
  p.textContent = reason;
  const links = document.createElement('p');
  links.innerHTML =
    'How to enable it: <a href="https://developer.chrome.com/docs/web-platform/webgpu" rel="noopener">Chrome</a>, ' +
    '<a href="https://developer.mozilla.org/en-US/docs/Web/API/WebGPU_API#browser_compatibility" rel="noopener">browser support</a>.';
  panel.replaceChildren(h, p, links);
  setStatus('no-webgpu');
}

/**
 * The page's runtime, or null after showing why there is none. Call once per page; the runtime lives as
 * long as the page.
 */
export async function acquireRuntime(): Promise<Runtime | null> {
  const insecure = window.isSecureContext
    ? ''
    : ' This page is not in a secure context (http on a host other than localhost), and browsers only expose WebGPU to secure contexts.';
  if (!navigator.gpu) {
    showNoWebGpu(`${BROWSER_INSTALL_HINT}${insecure}`);
    return null;
  }
  try {
    return await createRuntime();
  } catch (e) {
    if (e instanceof NoAdapterError) {
      showNoWebGpu(`${e.message}${insecure}`);
      return null;
    }
    throw e;
  }
}

/** Show an unexpected error on the page (and the console), and flag it for tests. */
export function showFatal(e: unknown): void {
  console.error('[descent demo]', e);
  const panel = messagePanel('fatal', 'panel panel-error');
  const pre = document.createElement('pre');
  pre.textContent = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  const h = document.createElement('h2');
  h.textContent = 'Something went wrong';
  panel.replaceChildren(h, pre);
  setStatus('error');
}
