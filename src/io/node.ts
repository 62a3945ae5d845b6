// Node-only model file I/O: atomic writes, clear errors on reads.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Module } from '../nn/module.js';
import { decodeModel, encodeModel, type SavedModel } from './model-file.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointParts, type DecodedCheckpoint } from './checkpoint.js';

export interface AtomicWriteOptions {
  /**
   * Called when half the bytes are in the temporary file (tests: a process killed here must leave
   * the previous file whole).
   */
  midWrite?: (tmpPath: string) => void;
}

/**
 * Write bytes atomically: to a temporary file beside the target, flushed to the disk, then renamed
 * over it. A rename within a folder replaces the name in one step, so a reader (or a process
 * killed at any moment) sees the old file or the new one, never a mixture; the fsync before it
 * keeps a power cut from leaving the new name on blocks that were never written.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string, o: AtomicWriteOptions = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const half = data.length >> 1;
      writeAll(fd, data.subarray(0, half));
      o.midWrite?.(tmp);
      writeAll(fd, data.subarray(half));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** writeSync may write less than asked; loop until every byte is out. */
function writeAll(fd: number, data: Uint8Array): void {
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done, data.length - done);
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

/** Save a training checkpoint (atomically: the previous one stays whole until the new one is). */
export function saveCheckpoint(path: string, parts: CheckpointParts, o: AtomicWriteOptions = {}): void {
  writeFileAtomic(path, encodeCheckpoint(parts), o);
}

/** Load a training checkpoint; throws a clear error if it is missing or damaged. */
export function loadCheckpoint(path: string): DecodedCheckpoint {
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  return decodeCheckpoint(readFileSync(path), path);
}
