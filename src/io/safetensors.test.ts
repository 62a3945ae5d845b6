// The safetensors reader and writer: the exact byte layout, bit-exact round trips, PyTorch's
// state_dict() names, and each check of the header refused with a message naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors, modelFromSafetensors, modelToSafetensors, MAX_HEADER } from './safetensors.js';
import { cnn, mlp } from '../models/index.js';
import { Random } from '../tensor/random.js';
import { tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/engine.js';

const FILE = 'weights.safetensors';

/** A file from a header (object, or raw text) and data bytes, with no padding: the reader must not need any. */
function file(header: unknown, data: number[] | Uint8Array = []): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (...xs: number[]) => new Uint8Array(new Float32Array(xs).buffer); // little-endian on every platform Node runs on

test('encodeSafetensors writes the exact safetensors layout', () => {
  const bytes = encodeSafetensors([{ name: 'a', shape: [2], data: new Float32Array([1, -2]) }], {});
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes: two spaces pad it to 56
  const expected = [
    0x38, 0, 0, 0, 0, 0, 0, 0, // 56, u64 little-endian
    ...new TextEncoder().encode(json), 0x20, 0x20,
    0x00, 0x00, 0x80, 0x3f, // 1.0f
    0x00, 0x00, 0x00, 0xc0, // -2.0f
  ];
  assert.deepEqual([...bytes], expected);
});

test('metadata and several tensors: header padded to a multiple of 8, ranges back to back', () => {
  const bytes = encodeSafetensors([
    { name: '0.weight', shape: [2, 3], data: new Float32Array(6).fill(0.5) },
    { name: '0.bias', shape: [2], data: new Float32Array([7, 8]) },
  ], { format: 'pt', note: 'ü' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.__metadata__, { format: 'pt', note: 'ü' });
  assert.deepEqual(header['0.weight'], { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header['0.bias'], { dtype: 'F32', shape: [2], data_offsets: [24, 32] });
  assert.equal(bytes.length, 8 + n + 32);
});

test('round trip is bit-exact, NaN payloads, -0 and subnormals included', () => {
  const rng = new Random(3);
  const data = Float32Array.from({ length: 37 }, () => rng.normal());
  data[0] = -0; data[1] = 1e-45; data[2] = Infinity;
  const nan = new Uint32Array([0x7fc01234]);
  const raw = new Float32Array(nan.buffer);
  const tensors = [{ name: 'x', shape: [37], data }, { name: 'nan', shape: [], data: raw }, { name: 'empty', shape: [3, 0], data: new Float32Array(0) }];
  const back = decodeSafetensors(encodeSafetensors(tensors, { k: 'v' }), FILE);
  assert.deepEqual(back.metadata, { k: 'v' });
  const byName = new Map(back.tensors.map((t) => [t.name, t]));
  assert.deepEqual([...new Uint8Array(byName.get('x')!.data.buffer)], [...new Uint8Array(data.buffer)]);
  assert.equal(new Uint32Array(byName.get('nan')!.data.buffer)[0], 0x7fc01234);
  assert.deepEqual(byName.get('nan')!.shape, []);
  assert.deepEqual(byName.get('empty')!.shape, [3, 0]);
});

test('a hand-built file (entries listed out of data order, no padding) is read', () => {
  const bytes = file({ b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, a: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } }, f32(1, 2, 3));
  const r = decodeSafetensors(bytes, FILE);
  assert.deepEqual(r.tensors.map((t) => [t.name, t.shape, [...t.data]]), [['a', [1, 2], [1, 2]], ['b', [1], [3]]]);
  assert.deepEqual(r.metadata, {});
});

test('names and layouts are those of PyTorch\'s state_dict() for nn.Sequential', () => {
  const net = cnn({ kernels: 4, hidden: 8, rng: new Random(1) });
  const names = decodeSafetensors(modelToSafetensors(net, [1, 28, 28], 10), FILE).tensors.map((t) => `${t.name} ${t.shape.join('x')}`);
  // nn.Sequential(Conv2d(1,4,5), ReLU(), MaxPool2d(2), Flatten(), Linear(576,8), ReLU(), Linear(8,10))
  assert.deepEqual(names, ['0.weight 4x1x5x5', '0.bias 4', '4.weight 8x576', '4.bias 8', '6.weight 10x8', '6.bias 10']);
});

test('a model survives export and import: same weights bit for bit, same outputs, its facts kept', () => {
  const net = mlp({ hidden: [5], height: 4, width: 4, rng: new Random(2) });
  const bytes = modelToSafetensors(net, [1, 4, 4], 10, { arch: 'mlp', testAccuracy: 0.5 });
  const back = modelFromSafetensors(bytes, FILE);
  assert.deepEqual(back.inputShape, [1, 4, 4]);
  assert.equal(back.classes, 10);
  assert.deepEqual(back.meta, { arch: 'mlp', testAccuracy: 0.5 });
  assert.deepEqual(back.model.toSpec(), net.toSpec());
  for (const [[n, a], [m, b]] of net.namedParameters().map((p, i) => [p, back.model.namedParameters()[i]] as const)) {
    assert.equal(n, m);
    assert.deepEqual(a.data, b.data);
  }
  const x = tensor(Array.from({ length: 32 }, (_, i) => (i % 7) / 7), [2, 1, 4, 4]);
  net.eval();
  assert.deepEqual(noGrad(() => back.model.forward(x)).toArray(), noGrad(() => net.forward(x)).toArray());
});

test('weights without zerograd metadata load into a given architecture; a shape mismatch names the tensor', () => {
  const net = mlp({ hidden: [5], height: 4, width: 4, rng: new Random(2) });
  const weights = net.namedParameters().map(([name, t]) => ({ name, shape: [...t.shape], data: Float32Array.from(t.data) }));
  const bytes = encodeSafetensors(weights, { format: 'pt' });
  assert.throws(() => modelFromSafetensors(bytes, FILE), /weights\.safetensors: the file holds weights only .*--arch/);
  const fresh = mlp({ hidden: [5], height: 4, width: 4, rng: new Random(9) });
  const r = modelFromSafetensors(bytes, FILE, { model: fresh, label: '--arch mlp --hidden 5', inputShape: [1, 4, 4], classes: 10 });
  assert.deepEqual(r.model.namedParameters()[0][1].data, net.namedParameters()[0][1].data);
  const wrong = mlp({ hidden: [6], height: 4, width: 4 });
  assert.throws(() => modelFromSafetensors(bytes, FILE, { model: wrong, label: '--arch mlp --hidden 6', inputShape: [1, 4, 4], classes: 10 }),
    /weights\.safetensors: tensor '1\.weight' has shape \(5,16\), but --arch mlp --hidden 6 expects \(6,16\)/);
  const extra = encodeSafetensors([...weights, { name: '9.weight', shape: [1], data: new Float32Array(1) }]);
  assert.throws(() => modelFromSafetensors(extra, FILE, { model: fresh, label: 'L', inputShape: [1, 4, 4], classes: 10 }), /tensor '9\.weight' \(1\) has no place in L/);
  const missing = encodeSafetensors(weights.slice(1));
  assert.throws(() => modelFromSafetensors(missing, FILE, { model: fresh, label: 'L', inputShape: [1, 4, 4], classes: 10 }), /tensor '1\.weight' is missing; L needs \(5,16\)/);
});

test('the writer refuses what the format cannot hold', () => {
  assert.throws(() => encodeSafetensors([{ name: 'a', shape: [2, 2], data: new Float32Array(3) }]), /tensor 'a' has shape \(2,2\) but 3 values/);
  const t = { name: 'a', shape: [1], data: new Float32Array(1) };
  assert.throws(() => encodeSafetensors([t, t]), /'a' is used twice/);
  assert.throws(() => encodeSafetensors([{ ...t, name: '__metadata__' }]), /'__metadata__' is reserved/);
  assert.throws(() => encodeSafetensors([t], { n: 3 as unknown as string }), /metadata 'n' is number, expected a string/);
});

const ok = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
const bad: Array<[string, Uint8Array, RegExp]> = [
  ['shorter than the length field', new Uint8Array(5), /5 bytes, expected at least 8/],
  ['header length past the end', (() => { const b = file({ a: ok }, f32(1, 2)); b[0] = 200; return b; })(), /header length 200 runs past the end of the \d+-byte file/],
  ['header length over 2^53', (() => { const b = file({}); b.fill(0xff, 0, 8); return b; })(), /header length 18446744073709551615 is more than the 100000000 bytes allowed/],
  ['header not UTF-8', file('{"\xff":1}'.replace('\xff', 'x')).map((v, i) => (i === 10 ? 0xff : v)), /the header is not valid UTF-8/],
  ['header not JSON', file('{"a":'), /the header is not valid JSON/],
  ['header an array', file('[1,2]'), /the header is an array, expected a JSON object/],
  ['metadata not strings', file({ __metadata__: { n: 1 } }), /__metadata__ 'n' is 1, expected a string/],
  ['unknown dtype', file({ a: { ...ok, dtype: 'F33' } }, f32(1, 2)), /tensor 'a' has dtype "F33", expected one of F32, F16/],
  ['F16 refused by name', file({ a: { ...ok, dtype: 'F16', data_offsets: [0, 4] } }, f32(1)), /tensor 'a' has dtype F16; zerograd reads F32 only/],
  ['negative size in the shape', file({ a: { ...ok, shape: [-2] } }, f32(1, 2)), /tensor 'a' has shape \[-2\], expected an array of non-negative integers/],
  ['fractional size in the shape', file({ a: { ...ok, shape: [1.5] } }, f32(1, 2)), /tensor 'a' has shape \[1\.5\]/],
  ['offsets not a pair', file({ a: { ...ok, data_offsets: [0] } }, f32(1, 2)), /tensor 'a' has data_offsets \[0\], expected \[begin, end\]/],
  ['offsets reversed', file({ a: { ...ok, data_offsets: [8, 0] } }, f32(1, 2)), /data_offsets \[8, 0\], outside the 8 bytes of data/],
  ['offsets past the data', file({ a: { ...ok, data_offsets: [0, 12] } }, f32(1, 2)), /data_offsets \[0, 12\], outside the 8 bytes/],
  ['shape and range disagree', file({ a: { ...ok, shape: [3] } }, f32(1, 2)), /tensor 'a' has shape \(3\) \(12 bytes of F32\) but data_offsets \[0, 8\] hold 8 bytes/],
  ['huge shape', file({ a: { ...ok, shape: [2 ** 40, 2 ** 40, 2 ** 40] } }, f32(1, 2)), /more than the file holds/],
  ['overlapping ranges', file({ a: ok, b: { ...ok, shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /tensor 'b' bytes \[4, 8\) overlap the previous tensor's, which ends at 8/],
  ['a gap', file({ a: { ...ok, shape: [1], data_offsets: [4, 8] } }, f32(1, 2)), /bytes \[0, 4\) of the data belong to no tensor \(a gap before 'a'\)/],
  ['bytes after the last tensor', file({ a: ok }, f32(1, 2, 3)), /the tensors cover 8 bytes of data but the file holds 12/],
  ['bad spec in the metadata', file({ __metadata__: { 'zerograd.spec': '{"type":' } }), /metadata 'zerograd\.spec' is not valid JSON/],
  ['spec that needs more weights than the file', file({ __metadata__: { 'zerograd.spec': '{"type":"Linear","inFeatures":100000,"outFeatures":100000}' } }), /the layers need more than the 0 weights the file holds/],
];

for (const [what, bytes, message] of bad) {
  test(`refused, naming the file: ${what}`, () => {
    const read = what.includes('spec') ? modelFromSafetensors : decodeSafetensors;
    assert.throws(() => read(bytes, FILE), (e: Error) => {
      assert.match(e.message, new RegExp(`^${FILE.replace('.', '\\.')}: `));
      assert.match(e.message, message);
      return true;
    });
  });
}

test('a header over the limit is refused before it is parsed', () => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER + 1), true);
  assert.throws(() => decodeSafetensors(b, FILE), /header length 100000001 is more than the 100000000 bytes allowed/);
});
