// Memory without ceremony: a training loop written by hand, PyTorch-style, with no scope(), runs
// on the wasm backend with flat memory — the step rule (Backend.stepBoundary) frees each step's
// tensors once a later step's backward() has run — and a tensor read after it was freed says so.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeWasmBackend } from '../backends/wasm/node.js';
import { registerBackend, setBackend } from '../backends/index.js';
import { loadMnist } from '../data/mnist.js';
import { DataLoader } from '../data/dataset.js';
import { Linear, ReLU, Sequential, Flatten } from '../nn/layers.js';
import { SGD } from '../optim/index.js';
import { crossEntropy } from '../losses/index.js';
import { Random, manualSeed } from '../tensor/random.js';
import { noGrad } from '../autograd/engine.js';
import { tensor } from '../tensor/tensor.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc'); // the last test asks the collector to run

const wasm = createNodeWasmBackend(2);
after(() => {
  setBackend('reference');
  wasm.close();
});

const MB = 1 << 20;

test('a hand-written loop without scope(): 4,000 steps of the 784-128-10 MLP with flat memory', async () => {
  await wasm.ready();
  registerBackend(wasm);
  setBackend('wasm');
  manualSeed(1);
  const { train, test: testSet } = loadMnist();
  const model = new Sequential([new Flatten(), new Linear({ inFeatures: 784, outFeatures: 128 }), new ReLU(),
    new Linear({ inFeatures: 128, outFeatures: 10 })]);
  const optimizer = new SGD(model.parameters(), { lr: 0.1 });
  const loader = new DataLoader(train, { batchSize: 64, rng: new Random(2) });
  let steps = 0;
  let heapAfterWarmUp = 0, rssAfterWarmUp = 0, lastLoss = NaN;
  while (steps < 4000) {
    for (const { x, y } of loader) {
      // PyTorch's loop, line for line: no scope, no dispose.
      const pred = model.forward(x);
      const loss = crossEntropy(pred, y);
      loss.backward();
      optimizer.step();
      optimizer.zeroGrad();
      lastLoss = loss.item();
      if (++steps === 1000) {
        heapAfterWarmUp = wasm.heapBytes;
        rssAfterWarmUp = process.memoryUsage().rss;
      }
      if (steps === 4000) break;
    }
  }
  const heapGrowth = wasm.heapBytes - heapAfterWarmUp;
  const rssGrowth = process.memoryUsage().rss - rssAfterWarmUp;
  // The wasm heap has no reason to grow at all after the warm-up; 16 MB is ~5 KB a step (the old
  // per-step leak was ~300 KB).
  assert.ok(heapGrowth < 16 * MB, `wasm heap grew ${(heapGrowth / MB).toFixed(1)} MB over 3,000 steps`);
  // RSS also holds V8's own heap, which grows lazily and by the collector's whims (one full suite run
  // measured 50.1 MB over 9,000 steps, alone it stays well below): 100 MB still sits far under the
  // ~900 MB the old per-step leak reached over these 3,000 steps.
  assert.ok(rssGrowth < 100 * MB, `process RSS grew ${(rssGrowth / MB).toFixed(1)} MB over 3,000 steps`);
  assert.ok(lastLoss < 0.5, `it learned: last loss ${lastLoss}`);

  // The test loop of PyTorch's quickstart, also without scope: the DataLoader's steps free memory too.
  const heapBefore = wasm.heapBytes;
  let correct = 0;
  noGrad(() => {
    for (const { x, y } of new DataLoader(testSet, { batchSize: 64, shuffle: false })) {
      const predicted = model.forward(x).argmax(1);
      for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) correct++;
    }
  });
  assert.ok(correct / testSet.count > 0.95, `test accuracy ${correct / testSet.count}`);
  assert.ok(wasm.heapBytes - heapBefore < 20 * MB, `the test loop grew the heap by ${((wasm.heapBytes - heapBefore) / MB).toFixed(1)} MB`);
});

test('a step\'s tensors stay readable through its optimizer step, and reading them after the next backward says why it fails', async () => {
  await wasm.ready();
  registerBackend(wasm);
  setBackend('wasm');
  manualSeed(3);
  const model = new Sequential([new Linear({ inFeatures: 4, outFeatures: 3 })]);
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  const x = tensor([[1, 2, 3, 4], [0, 1, 0, 1]]); // made by the user: kept until the garbage collector frees it
  const step = () => {
    const pred = model.forward(x);
    const loss = crossEntropy(pred, [0, 2]);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    return { pred, loss };
  };
  const first = step();
  assert.ok(Number.isFinite(first.loss.item()), 'readable after its own backward and step');
  assert.equal(first.pred.toArray().length, 6);
  const kept = first.pred.clone();
  step(); // one more boundary: the first step is still the "previous" one
  step(); // and now it is gone
  assert.throws(() => first.loss.item(), /reclaimed.*backward\(\).*clone\(\)/s);
  assert.equal(kept.toArray().length, 6, 'a clone is the user\'s to keep');
  assert.equal(x.toArray().length, 8, 'tensors the user made are never reclaimed by steps');
  for (const p of model.parameters()) assert.equal(p.toArray().length, p.size, 'parameters are never reclaimed');
  assert.throws(() => first.loss.backward(), /reclaimed/, 'backward on a reclaimed graph fails clearly');
});

test('forward passes that never reach a step boundary give their memory back once it is unreachable', async () => {
  await wasm.ready();
  registerBackend(wasm);
  setBackend('wasm');
  manualSeed(4);
  // A page that only predicts (no backward, no DataLoader, no scope): each pass makes 2 MB of step
  // tensors, 400 MB over the loop; they go to the garbage collector every 32 MB (demote).
  const model = new Sequential([new Linear({ inFeatures: 64, outFeatures: 4096 }), new ReLU(), new Linear({ inFeatures: 4096, outFeatures: 10 })]);
  const x = tensor(Array.from({ length: 128 * 64 }, (_, i) => (i % 7) / 7), [128, 64]);
  const gc = runInNewContext('gc') as () => void;
  const start = wasm.heapBytes;
  for (let round = 0; round < 20; round++) {
    noGrad(() => {
      for (let i = 0; i < 10; i++) model.forward(x).data; // the result dropped at once, as a page that draws it
    });
    // Between event-loop turns: the collector finds the arrays unreachable and gives their memory back.
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const grown = wasm.heapBytes - start;
  assert.ok(grown < 96 * MB, `the heap grew ${(grown / MB).toFixed(1)} MB over 200 passes of 2 MB each`);
});

test('kept arrays dropped by code that never ends a step give their memory back; a stale dispose frees nothing', async () => {
  await wasm.ready();
  registerBackend(wasm);
  setBackend('wasm');
  const gc = runInNewContext('gc') as () => void;
  // Optimizer state restored again and again into fresh layers, say: kept (outside any step rule),
  // then dropped. 200 arrays of 2 MB: 400 MB if they stayed pinned until a boundary that never comes.
  const start = wasm.heapBytes;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 10; i++) wasm.keep(wasm.empty(512 * 1024, 'float32'));
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const grown = wasm.heapBytes - start;
  assert.ok(grown < 96 * MB, `the heap grew ${(grown / MB).toFixed(1)} MB over 200 kept and dropped arrays of 2 MB`);

  // Disposing an array a second time, after its place went to a new array, leaves the new one alone.
  const x = tensor(Array.from({ length: 256 }, (_, i) => i), [256]);
  const stale = x.mul(2).data;
  wasm.stepBoundary();
  wasm.stepBoundary();
  assert.equal(wasm.isReleased(stale), true);
  const mine = x.mul(3);
  wasm.dispose(stale);
  const other = x.mul(5);
  assert.equal(wasm.isReleased(mine.data), false, 'a stale dispose released a live array');
  assert.notEqual(other.data.byteOffset, mine.data.byteOffset, 'a live array\'s memory was handed out again');
  assert.equal(mine.data[1], 3);
});

test('crossEntropy\'s backward uses the labels its forward saw, even if the caller reuses the array', async () => {
  await wasm.ready();
  registerBackend(wasm);
  setBackend('wasm');
  const logits = () => tensor(Array.from({ length: 40 }, (_, i) => Math.sin(i)), [4, 10], { requiresGrad: true });
  const want = logits();
  crossEntropy(want, Int32Array.from([3, 1, 4, 1])).backward();
  const got = logits();
  const labels = Int32Array.from([3, 1, 4, 1]);
  const loss = crossEntropy(got, labels);
  labels.set([9, 1000, -5, 7]); // the next batch's labels, written into the same array before backward
  const neighbour = tensor(new Array(64).fill(1));
  loss.backward();
  assert.deepEqual(Array.from(got.grad!.data), Array.from(want.grad!.data));
  assert.ok(Array.from(neighbour.data).every((v) => v === 1), 'backward wrote outside its gradient');
});
