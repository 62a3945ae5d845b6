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

export function listBackends(): string[] {
  return [...registry.keys()];
}
