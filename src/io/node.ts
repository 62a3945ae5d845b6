// Node-only model file I/O: atomic writes, clear errors on reads.
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Module } from '../nn/module.js';
import { decodeModel, encodeModel, type SavedModel } from './model-file.js';

/** Write bytes atomically: to a temporary file beside the target, then rename over it. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Save a model file (atomically). */
export function saveModel(path: string, model: Module, inputShape: number[], classes: number, meta: Record<string, unknown> = {}): void {
  writeFileAtomic(path, encodeModel(model, inputShape, classes, meta));
}

/** Load a model file; throws a clear error (and returns nothing) if it is missing or damaged. */
export function loadModel(path: string): SavedModel {
  if (!existsSync(path)) throw new Error(`model file not found: ${path}`);
  return decodeModel(readFileSync(path), path);
}
