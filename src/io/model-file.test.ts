// Model files: round trip, atomic writes, and every kind of damaged file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { cnn, dnn } from '../models/index.js';
import { decodeModel, encodeModel } from './model-file.js';
import { loadModel, saveModel } from './node.js';
import { randn } from '../tensor/tensor.js';
import { Random } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import { tempDir } from '../testing/helpers.js';

test('save and load give identical predictions', () => {
  const dir = tempDir('model');
  for (const net of [cnn({ kernels: 5, hidden: 12, pool: 'avg', rng: new Random(1) }), dnn({ hidden: [20, 10], activation: 'tanh', rng: new Random(2) })]) {
    const path = join(dir, 'net.zg');
    saveModel(path, net, [1, 28, 28], 10, { note: 'test' });
    const loaded = loadModel(path);
    const x = randn([3, 1, 28, 28], { rng: new Random(3) });
    net.eval();
    assert.deepEqual(noGrad(() => loaded.model.forward(x)).toArray(), noGrad(() => net.forward(x)).toArray());
    assert.deepEqual(loaded.inputShape, [1, 28, 28]);
    assert.equal(loaded.meta.note, 'test');
  }
  assert.deepEqual(readdirSync(dir), ['net.zg'], 'no temporary files are left behind');
});

test('damaged model files fail with a clear message', () => {
  const bytes = encodeModel(cnn({ kernels: 2, hidden: 4 }), [1, 28, 28], 10);
  assert.throws(() => decodeModel(bytes.subarray(0, bytes.length - 100), 'm.zg'), /m.zg: checksum mismatch: the file is truncated or corrupted/);
  const flipped = bytes.slice();
  flipped[bytes.length - 50] ^= 0xff;
  assert.throws(() => decodeModel(flipped, 'm.zg'), /checksum mismatch/);
  const version = bytes.slice();
  version[4] = 9;
  assert.throws(() => decodeModel(version, 'm.zg'), /format version 9 is not supported; this zerograd reads version 1/);
  assert.throws(() => decodeModel(new TextEncoder().encode('{"not": "a model"} and more bytes'), 'm.json'), /m.json: not a zerograd model file/);
  const dir = tempDir('model');
  assert.throws(() => loadModel(join(dir, 'missing.zg')), /model file not found: .*missing.zg/);
  writeFileSync(join(dir, 'png.zg'), readFileSync(new URL('../../package.json', import.meta.url)));
  assert.throws(() => loadModel(join(dir, 'png.zg')), /not a zerograd model file/);
});
