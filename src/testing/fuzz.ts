// Property-based fuzzing of file readers (fast-check): whatever bytes a reader is given, it either
// returns or throws an Error whose message names the file. Never a crash: a thrown non-Error, a
// RangeError (an allocation sized by the file's claims: "Invalid typed array length", "Array
// buffer allocation failed"; or "Maximum call stack size exceeded"), a hang, or a TypeError from
// reading a field that is not there.
//
// Each reader gets FUZZ_RUNS cases (300 in `npm test`; `npm run fuzz` sets 10,000) drawn from:
// random bytes, valid files cut short, bit flips, bytes overwritten with boundary values (biased to
// the header), valid prefixes with random tails, and the reader's own "oversized" files (headers
// that claim more than the file holds). With `reseal`, mutated files get their checksums fixed
// half the time, so the mutations reach the parsing behind the integrity check.
//
// A new reader is a few lines (see src/data/idx.fuzz.test.ts):
//   fuzzReader({ name: 'safetensors reader', seeds: [encodeSafetensors(...)], read: (b, f) => readSafetensors(b, f),
//                oversized: headerClaimingHugeTensor });
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

/** Cases per reader: FUZZ_RUNS from the environment, else a few hundred (fast enough for every `npm test`). */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** The file name the reader is given; every error message must contain it. */
export const FUZZ_FILE = 'fuzzed-file.bin';
/**
 * The longest one case may take before it counts as a hang. Not a speed check (cases take
 * milliseconds): it only has to tell "finished" from "never would".
 */
const HANG_MS = 10_000;

export interface ReaderFuzz {
  /** What is fuzzed, for the test's name: 'IDX reader'. */
  name: string;
  /** Valid files to mutate: small ones, so mutations often land in the header. */
  seeds: Uint8Array[];
  /** Read the bytes; `file` is the name to put in error messages. */
  read: (bytes: Uint8Array, file: string) => unknown;
  /** Fix a mutated file's checksums (a copy), so the reader's parsing behind them is reached. */
  reseal?: (bytes: Uint8Array) => Uint8Array;
  /** Files whose header claims sizes far beyond the file: each must be refused. */
  oversized?: fc.Arbitrary<Uint8Array>;
  /** Bytes at the start of a file that mutations favour (the header): default 64. */
  headerBytes?: number;
}

const BOUNDARY = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/** The mutations of one seed. */
function mutations(seed: Uint8Array, headerBytes: number): fc.Arbitrary<Uint8Array>[] {
  const n = seed.length;
  // A position: half the time in the header, where a changed byte changes what is read.
  const position = fc.oneof(fc.nat({ max: Math.max(0, Math.min(n, headerBytes) - 1) }), fc.nat({ max: Math.max(0, n - 1) }));
  const truncated = fc.nat({ max: Math.max(0, n - 1) }).map((k) => seed.slice(0, k));
  const flipped = fc.array(fc.tuple(position, fc.nat({ max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
    const b = seed.slice();
    for (const [i, bit] of flips) b[i] ^= 1 << bit;
    return b;
  });
  const overwritten = fc.array(fc.tuple(position, fc.constantFrom(...BOUNDARY), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 4 }).map((writes) => {
    const b = seed.slice();
    for (const [i, v, len] of writes) b.fill(v, i, Math.min(n, i + len));
    return b;
  });
  const spliced = fc.tuple(fc.nat({ max: n }), fc.uint8Array({ maxLength: 256 })).map(([k, tail]) => {
    const b = new Uint8Array(k + tail.length);
    b.set(seed.subarray(0, k));
    b.set(tail, k);
    return b;
  });
  return [truncated, flipped, overwritten, spliced];
}

/** What went wrong with one case, or undefined when the reader behaved. */
function misbehaviour(read: ReaderFuzz['read'], bytes: Uint8Array): string | undefined {
  const start = Date.now();
  try {
    read(bytes, FUZZ_FILE);
  } catch (e) {
    if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
    if (e instanceof RangeError) return `RangeError (an allocation or recursion the file controls): ${e.message}`;
    if (!e.message.includes(FUZZ_FILE)) return `${e.name} whose message does not name the file: ${e.message}`;
  }
  const ms = Date.now() - start;
  if (ms > HANG_MS) return `took ${ms} ms (a hang)`;
  return undefined;
}

/** Register the fuzz test of one reader: FUZZ_RUNS cases, and the oversized files refused. */
export function fuzzReader(spec: ReaderFuzz): void {
  const headerBytes = spec.headerBytes ?? 64;
  test(`fuzz ${spec.name}: ${FUZZ_RUNS} inputs end in a value or an Error naming the file`, () => {
    const mutated = fc.oneof(...spec.seeds.flatMap((s) => mutations(s, headerBytes)));
    const resealed = spec.reseal ? [mutated.map((b) => spec.reseal!(b))] : [];
    const oversized = spec.oversized ? [spec.oversized] : [];
    const input = fc.oneof(fc.uint8Array({ maxLength: 2048 }), mutated, ...resealed, ...oversized);
    let cases = 0;
    fc.assert(fc.property(input, (bytes) => {
      cases++;
      const bad = misbehaviour(spec.read, bytes);
      assert.equal(bad, undefined, `${spec.name} on ${bytes.length} bytes [${Buffer.from(bytes.subarray(0, 48)).toString('hex')}…]: ${bad}`);
    }), { numRuns: FUZZ_RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined });
    assert.ok(cases >= FUZZ_RUNS, `ran ${cases} cases, expected ${FUZZ_RUNS}`);
  });
  if (spec.oversized) {
    test(`fuzz ${spec.name}: headers claiming more than the file holds are refused`, () => {
      fc.assert(fc.property(spec.oversized!, (bytes) => {
        assert.throws(() => spec.read(bytes, FUZZ_FILE), (e: unknown) => e instanceof Error && !(e instanceof RangeError) && e.message.includes(FUZZ_FILE));
      }), { numRuns: Math.max(50, Math.floor(FUZZ_RUNS / 10)) });
    });
  }
}
