// Backend registry: which backend the ops compute with.
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';

export type { Backend } from './backend.js';

const registry = new Map<string, Backend>([['reference', referenceBackend]]);
let current: Backend = referenceBackend;

/** The backend that ops run on now. */
export function backend(): Backend {
  return current;
}

/** Make a backend available by name (the wasm backend registers itself when it loads). */
export function registerBackend(b: Backend): void {
  registry.set(b.name, b);
}

/** Switch backends by name: `setBackend('reference')`. */
export function setBackend(name: string): Backend {
  const b = registry.get(name);
  if (!b) throw new Error(`setBackend: unknown backend '${name}', expected one of: ${[...registry.keys()].join(', ')}`);
  current = b;
  return b;
}

/**
 * Run fn and release the backend memory of every tensor created inside it, except what was kept
 * (parameters' gradients, optimizer state). Use it around each step of a hand-written training loop
 * on the wasm backend; `fit`, `trainEpoch` and `evaluate` already do. A no-op on the reference backend.
 * @example for (const { x, y } of loader) scope(() => trainStep(net, opt, x, y));
 */
export function scope<T>(fn: () => T): T {
  return current.scope(fn);
}

export function listBackends(): string[] {
  return [...registry.keys()];
}
