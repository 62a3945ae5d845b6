// predict on awkward files: each file is reported on its own, damaged, missing and folder inputs
// are named with what was expected, and images too large to decode safely are refused from their
// header. Also --version, and that every user error is one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { saveModel } from '../io/node.js';
import { mlp } from '../models/index.js';
import { manualSeed } from '../tensor/random.js';
import { MAX_PIXELS, decodeImage, imageSize } from '../data/image-file.js';
import { tempDir } from '../testing/helpers.js';
import { runCli as run } from '../testing/cli.js';

const dir = tempDir('predict');


/** An untrained model is enough to tell good files from bad ones. */
function modelFile(): string {
  manualSeed(1);
  const path = join(dir, 'model.zg');
  saveModel(path, mlp({ hidden: [8] }), [1, 28, 28], 10, {});
  return path;
}

function pngBytes(width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  png.data.fill(255);
  // A dark, opaque vertical stroke (a "1") on white paper.
  for (let y = 8; y < height - 8; y++) for (let x = 20; x < 26 && x < width; x++) png.data.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
  return PNG.sync.write(png);
}

/** A PNG whose header says width×height, with nothing after it: what a huge image looks like before it is decoded. */
function pngHeader(width: number, height: number): Buffer {
  const b = Buffer.from(pngBytes(8, 8).subarray(0, 33));
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b;
}

/** A JPEG start: SOI, then a baseline frame header (SOF0) saying width×height, 3 components. */
function jpegHeader(width: number, height: number): Buffer {
  return Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, // a short APP0 segment to walk past
    0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9]);
}

test('the size of a PNG or JPEG is read from its header', () => {
  assert.deepEqual(imageSize(pngBytes(30, 20), true), { width: 30, height: 20 });
  const jpg = jpeg.encode({ data: Buffer.alloc(31 * 17 * 4, 200), width: 31, height: 17 }, 90).data;
  assert.deepEqual(imageSize(jpg, false), { width: 31, height: 17 });
  assert.deepEqual(imageSize(jpegHeader(9000, 6000), false), { width: 9000, height: 6000 });
  assert.equal(imageSize(pngBytes(30, 20).subarray(0, 20), true), undefined, 'a header cut short');
  // The limit itself decodes; one row more does not.
  assert.throws(() => decodeImage(pngHeader(4096, 4097), 'big.png'), /big\.png: 4096×4097 pixels is too large; expected at most 16\.8 megapixels/);
  assert.throws(() => decodeImage(pngHeader(4096, 4096), 'edge.png'), /edge\.png: truncated or corrupt PNG/);
  assert.equal(MAX_PIXELS, 4096 * 4096);
});

test('predict reports each file on its own: good ones are classified, bad ones named, exit code 1', async () => {
  const model = modelFile();
  const good = join(dir, 'good.png');
  writeFileSync(good, pngBytes(40, 40));
  const truncated = join(dir, 'truncated.png');
  writeFileSync(truncated, readFileSync(good).subarray(0, 60));
  const folder = join(dir, 'folder.png');
  mkdirSync(folder);
  const hugePng = join(dir, 'huge.png');
  writeFileSync(hugePng, pngHeader(10000, 10000));
  const hugeJpg = join(dir, 'huge.jpg');
  writeFileSync(hugeJpg, jpegHeader(8660, 5773)); // 50 megapixels
  const missing = join(dir, 'missing.png');
  const files = [good, truncated, folder, hugePng, hugeJpg, missing];
  const expected = [
    /truncated\.png: truncated or corrupt PNG$/,
    /folder\.png: is a directory, expected a PNG or JPEG file$/,
    /huge\.png: 10000×10000 pixels is too large; expected at most 16\.8 megapixels \(e\.g\. 4096×4096\): scale it down first$/,
    /huge\.jpg: 8660×5773 pixels is too large; expected at most 16\.8 megapixels/,
    /missing\.png: file not found, expected a PNG or JPEG file$/,
  ];

  const r = await run(['predict', '--model', model, ...files]);
  assert.equal(r.code, 1, 'a bad file makes the exit code non-zero');
  assert.match(r.stdout, /good\.png: \d\n(\s+\d\s+\d+\.\d%\n){3}$/, 'the good file is still classified');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, expected.length, r.stderr);
  lines.forEach((line, i) => {
    assert.match(line, /^zerograd: error: /);
    assert.match(line, expected[i]);
  });
  assert.doesNotMatch(r.stderr, /waitng|EISDIR|maxMemoryUsageInMB/, 'the decoder\'s and the file system\'s own words are not shown');

  const j = await run(['predict', '--model', model, '--json', ...files]);
  assert.equal(j.code, 1);
  const res = JSON.parse(j.stdout);
  assert.deepEqual(res.map((x: { image: string }) => x.image), files);
  assert.equal(typeof res[0].prediction, 'number');
  assert.equal(res[0].error, undefined);
  res.slice(1).forEach((x: { error: string; prediction?: number }, i: number) => {
    assert.match(x.error, expected[i]);
    assert.equal(x.prediction, undefined);
  });
});

test('--version prints the version in package.json', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${pkg.version}\n`);
});
