import { defineConfig } from 'vite';

// Module workers, so the worker's bundle can import like the page's (the default, 'iife', cannot split chunks).
export default defineConfig({ worker: { format: 'es' } });
