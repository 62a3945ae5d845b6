// safetensors: the weights-only format of Hugging Face, read by PyTorch, JAX and most tools.
// Browser-safe (bytes in, bytes out). Nothing in a file is ever executed (unlike a pickled
// PyTorch .pt), and the reader checks the whole header before it reads a single weight.
//
// Layout (https://github.com/huggingface/safetensors):
//   n          u64 little-endian   bytes of the JSON header
//   header     n bytes of UTF-8 JSON, padded with spaces to a multiple of 8 (so the data is aligned):
//              { "__metadata__": { string: string },
//                "<name>": { "dtype": "F32", "shape": [d0, d1, …], "data_offsets": [begin, end] }, … }
//   data       the tensors' bytes, little-endian, row-major; offsets count from the data's start
//
// zerograd's names and layouts are PyTorch's: a Sequential's layer i is "{i}.weight", "{i}.bias"
// (nested ones "{i}.{j}.weight"), Linear weights (OUT,IN), Conv2d weights (OC,IC,KH,KW) — exactly
// the state_dict() of the same nn.Sequential, so torch can load the file with no renaming. Buffers
// are there too: batch norm's running_mean and running_var (F32) and num_batches_tracked, which
// PyTorch keeps as int64 and so is written (and read) as I64.
import { moduleFromSpec } from '../nn/layers.js';
import { isInt64Buffer, type LayerSpec, type Module } from '../nn/module.js';
import { noGrad } from '../autograd/engine.js';
import { zeros } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { Random } from '../tensor/random.js';
import { checkArchitecture, type SavedModel } from './model-file.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
  /** How the values are stored in the file: F32 (default) or I64 (integer counts; read back as float32). */
  dtype?: 'F32' | 'I64';
}

export interface Safetensors {
  /** In the order of their bytes in the file. */
  tensors: NamedTensor[];
  /** The `__metadata__` strings ({} when the file has none). */
  metadata: Record<string, string>;
}

/** Bytes per value of each dtype the format defines; zerograd reads and writes F32, and I64 for counts. */
const ITEM_SIZE: Record<string, number> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};
/** The reference implementation refuses headers over 100 MB; so does this one (JSON.parse of it stays bounded). */
export const MAX_HEADER = 100_000_000;

/**
 * Serialize tensors (in the order given) and metadata strings as a safetensors file.
 * @example encodeSafetensors([{ name: '1.weight', shape: [10, 784], data: w }], { format: 'pt' })
 */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`encodeSafetensors: metadata '${k}' is ${typeof v}, expected a string (safetensors metadata holds strings only)`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.prototype.hasOwnProperty.call(header, t.name)) {
      throw new Error(`encodeSafetensors: tensor name '${t.name}' is ${t.name === '__metadata__' ? 'reserved' : 'used twice'}; expected unique names`);
    }
    const size = t.shape.reduce((n, d) => n * d, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || size !== t.data.length) {
      throw new Error(`encodeSafetensors: tensor '${t.name}' has shape ${formatShape(t.shape)} but ${t.data.length} values; expected non-negative integer sizes whose product is the value count`);
    }
    const dtype = t.dtype ?? 'F32';
    if (dtype === 'I64' && !t.data.every((v) => Number.isInteger(v))) {
      throw new Error(`encodeSafetensors: tensor '${t.name}' is I64 but holds a value that is not an integer; expected integer counts`);
    }
    const bytes = ITEM_SIZE[dtype] * size;
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8; // padded with spaces (JSON whitespace): the data starts 8-aligned
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  let o = 8 + n;
  for (const t of tensors) {
    if (t.dtype === 'I64') for (let i = 0; i < t.data.length; i++, o += 8) view.setBigInt64(o, BigInt(t.data[i]), true);
    else for (let i = 0; i < t.data.length; i++, o += 4) view.setFloat32(o, t.data[i], true);
  }
  return out;
}

interface Entry { name: string; dtype: 'F32' | 'I64'; shape: number[]; begin: number; end: number }

/**
 * Parse a safetensors file. The whole header is checked first — its length fits in the file, it
 * is a UTF-8 JSON object, every entry has a known dtype (F32: others are refused by name), a shape
 * of non-negative integers whose size matches its byte range, and the byte ranges, sorted, tile
 * the data section exactly (no overlap, no gap, nothing outside it) — and only then are values
 * read. Every error names the file (`name`) and what was wrong.
 */
export function decodeSafetensors(bytes: Uint8Array, name = 'safetensors file'): Safetensors {
  const bad = (what: string) => new Error(`${name}: ${what} (not a valid safetensors file)`);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes, expected at least 8 (the header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(MAX_HEADER)) throw bad(`header length ${claimed} is more than the ${MAX_HEADER} bytes allowed`);
  if (claimed > BigInt(bytes.length - 8)) throw bad(`header length ${claimed} runs past the end of the ${bytes.length}-byte file`);
  const n = Number(claimed);
  if (n < 2) throw bad(`header length ${n}, expected a JSON object of at least 2 bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw bad(`the header is ${Array.isArray(header) ? 'an array' : JSON.stringify(header)?.slice(0, 40)}, expected a JSON object`);
  const dataLength = bytes.length - 8 - n;
  const metadata: Record<string, string> = Object.create(null);
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === '__metadata__') {
      if (!isObject(value)) throw bad('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw bad(`__metadata__ '${k}' is ${JSON.stringify(v)?.slice(0, 40)}, expected a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(checkEntry(key, value, dataLength, name, bad));
  }
  // Sorted by where they start, the ranges must follow one another from 0 to the end of the data:
  // an overlap would let two tensors share bytes, a gap would hide bytes no tensor accounts for.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of entries) {
    if (e.begin < at) throw bad(`tensor '${e.name}' bytes [${e.begin}, ${e.end}) overlap the previous tensor's, which ends at ${at}`);
    if (e.begin > at) throw bad(`bytes [${at}, ${e.begin}) of the data belong to no tensor (a gap before '${e.name}')`);
    at = e.end;
  }
  if (at !== dataLength) throw bad(`the tensors cover ${at} bytes of data but the file holds ${dataLength} after the header`);
  // Only now, with every size checked against the file, is anything allocated or read.
  const base = 8 + n;
  const tensors = entries.map((e): NamedTensor => {
    const data = new Float32Array((e.end - e.begin) / ITEM_SIZE[e.dtype]);
    // NOTE: an I64 count above 2²⁴ (16.7 million batches) is rounded in float32; PyTorch only reports it.
    if (e.dtype === 'I64') for (let i = 0, o = base + e.begin; i < data.length; i++, o += 8) data[i] = Number(view.getBigInt64(o, true));
    else for (let i = 0, o = base + e.begin; i < data.length; i++, o += 4) data[i] = view.getFloat32(o, true);
    return { name: e.name, shape: e.shape, data, dtype: e.dtype };
  });
  return { tensors, metadata: { ...metadata } };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** One header entry checked: dtype, shape, offsets inside the data, size = product of the shape × 4. */
function checkEntry(key: string, value: unknown, dataLength: number, name: string, bad: (what: string) => Error): Entry {
  const what = `tensor '${key.slice(0, 80)}'`;
  if (!isObject(value)) throw bad(`${what} is ${JSON.stringify(value)?.slice(0, 40)}, expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(ITEM_SIZE, dtype)) {
    throw bad(`${what} has dtype ${JSON.stringify(dtype)?.slice(0, 40)}, expected one of ${Object.keys(ITEM_SIZE).join(', ')}`);
  }
  if (dtype !== 'F32' && dtype !== 'I64') {
    throw new Error(`${name}: ${what} has dtype ${dtype}; zerograd reads F32 only, and I64 for counts such as num_batches_tracked (in PyTorch, save {k: v.float() for k, v in model.state_dict().items()})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`${what} has shape ${JSON.stringify(shape)?.slice(0, 60)}, expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw bad(`${what} has data_offsets ${JSON.stringify(offsets)?.slice(0, 60)}, expected [begin, end] non-negative integers`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataLength) throw bad(`${what} has data_offsets [${begin}, ${end}], outside the ${dataLength} bytes of data`);
  // The product is built up with a stop once it passes the data's size, so it never leaves the safe integers.
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (count > dataLength) break;
  }
  const item = ITEM_SIZE[dtype];
  if (count * item !== end - begin) {
    throw bad(`${what} has shape ${formatShape(shape as number[])} (${count > dataLength ? 'more than the file holds' : `${count * item} bytes of ${dtype}`}) but data_offsets [${begin}, ${end}] hold ${end - begin} bytes`);
  }
  return { name: key, dtype, shape: shape as number[], begin, end };
}

/** The metadata keys zerograd writes beside the weights. */
export const META_KEYS = { spec: 'zerograd.spec', inputShape: 'zerograd.inputShape', classes: 'zerograd.classes', meta: 'zerograd.meta' } as const;

/**
 * A model's weights as safetensors, named as PyTorch's state_dict() of the same nn.Sequential,
 * with the architecture (the model's spec, as JSON), input shape, class count and the model file's
 * facts (`meta`: architecture name, accuracy…) in the metadata.
 */
export function modelToSafetensors(model: Module, inputShape: number[], classes: number, meta: Record<string, unknown> = {}): Uint8Array {
  const tensors = model.namedState().map(([name, t]): NamedTensor =>
    ({ name, shape: [...t.shape], data: Float32Array.from(t.data), dtype: isInt64Buffer(t) ? 'I64' : 'F32' }));
  return encodeSafetensors(tensors, {
    format: 'pt', // what Hugging Face's tools expect of a PyTorch state dict
    [META_KEYS.spec]: JSON.stringify(model.toSpec()),
    [META_KEYS.inputShape]: JSON.stringify(inputShape),
    [META_KEYS.classes]: String(classes),
    [META_KEYS.meta]: JSON.stringify(meta),
  });
}

/** What the importer is told about a model built without the file's help (from command-line flags). */
export interface Architecture {
  /** A fresh model of the expected architecture; its weights are replaced. */
  model: Module;
  /** How to name it in errors: '--arch mlp --hidden 100'. */
  label: string;
  inputShape: number[];
  classes: number;
}

/**
 * Build a zerograd model from a safetensors file: the architecture in its metadata, or `arch`
 * when given (weights trained in PyTorch, with no zerograd metadata). Every tensor's name and shape
 * is checked against the architecture before any weight is copied; any problem throws an error
 * naming the file, and no model is returned. `metadata`: the file's own strings.
 */
export function modelFromSafetensors(bytes: Uint8Array, name = 'safetensors file', arch?: Architecture): SavedModel & { metadata: Record<string, string> } {
  const file = decodeSafetensors(bytes, name);
  const meta = file.metadata;
  let model: Module;
  let label: string;
  let inputShape: number[];
  let classes: number;
  let facts: Record<string, unknown> = {};
  if (arch) {
    ({ model, label, inputShape, classes } = arch);
  } else {
    if (meta[META_KEYS.spec] === undefined) {
      throw new Error(`${name}: the file holds weights only (no '${META_KEYS.spec}' metadata, as in one written by PyTorch); say which architecture they are for (--arch mlp|dnn|cnn and its shape flags)`);
    }
    const parsed = (key: string): unknown => {
      try {
        return JSON.parse(meta[key] ?? 'null');
      } catch {
        throw new Error(`${name}: metadata '${key}' is not valid JSON: ${meta[key].slice(0, 60)}`);
      }
    };
    const spec = parsed(META_KEYS.spec) as LayerSpec;
    inputShape = (parsed(META_KEYS.inputShape) ?? [1, 28, 28]) as number[];
    classes = Number(meta[META_KEYS.classes] ?? 10);
    // The same bounds as a model file: sizes checked against the weights the file holds, before
    // the model (whose size the spec decides) is built.
    checkArchitecture({ spec, inputShape, classes }, file.tensors.reduce((n, t) => n + t.data.length, 0), name);
    try {
      model = moduleFromSpec(spec, new Random(0));
    } catch (e) {
      throw new Error(`${name}: the architecture in the metadata cannot be built: ${(e as Error).message}`);
    }
    label = 'the architecture in its metadata';
    const m = parsed(META_KEYS.meta);
    if (isObject(m)) facts = m;
  }
  loadTensors(model, file.tensors, name, label);
  model.eval();
  try {
    noGrad(() => model.forward(zeros([1, ...inputShape])));
  } catch (e) {
    throw new Error(`${name}: the architecture does not accept its input shape ${formatShape(inputShape)}: ${(e as Error).message}`);
  }
  return { model, inputShape, classes, meta: facts, metadata: meta };
}

/**
 * Copy the file's tensors into the model's parameters and buffers, after checking every name and
 * shape. An I64 tensor fits only a count buffer (num_batches_tracked); a count saved as F32 (PyTorch's
 * `v.float()` of every tensor) is read too.
 */
function loadTensors(model: Module, tensors: NamedTensor[], name: string, label: string): void {
  const params = model.namedState();
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = new Set(params.map(([n]) => n));
  const list = params.map(([n, p]) => `${n} ${formatShape(p.shape)}`).join(', ');
  for (const t of tensors) {
    if (!expected.has(t.name)) throw new Error(`${name}: tensor '${t.name}' ${formatShape(t.shape)} has no place in ${label}, which has: ${list}`);
  }
  for (const [n, p] of params) {
    const t = byName.get(n);
    if (!t) throw new Error(`${name}: tensor '${n}' is missing; ${label} needs ${formatShape(p.shape)}`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`${name}: tensor '${n}' has shape ${formatShape(t.shape)}, but ${label} expects ${formatShape(p.shape)}`);
    }
    if (t.dtype === 'I64' && !isInt64Buffer(p)) throw new Error(`${name}: tensor '${n}' is I64, but ${label} expects F32 values there`);
  }
  for (const [n, p] of params) p.data.set(byName.get(n)!.data);
}
