// The same workloads on the peers: TensorFlow.js (cpu and wasm backends) and ConvNetJS.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GEMM_SHAPES, bestRate, mnist, order, peakRss, timeBatches, type Measurement, type WorkloadId } from './common.js';

export async function runTfjs(workload: WorkloadId, backend: 'cpu' | 'wasm', seconds: number): Promise<Measurement[]> {
  const tf = await import('@tensorflow/tfjs');
  const lib = `TensorFlow.js ${backend}`;
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(join(dir, 'dist') + '/');
  }
  await tf.setBackend(backend);
  await tf.ready();
  if (workload === 'W4') {
    return GEMM_SHAPES.map(({ name, M, K, N }) => {
      const a = tf.randomNormal([M, K]), b = tf.randomNormal([K, N]);
      // Both backends run a kernel when it is called, so the product is done when matMul returns.
      // Reading each result back (dataSync) would cost TF.js wasm ten times the product itself here,
      // so only the last one is read, after the clock stops.
      let last: import('@tensorflow/tfjs').Tensor | null = null;
      const rate = bestRate(() => { last?.dispose(); last = tf.matMul(a, b); }, Math.min(seconds, 3));
      (last as import('@tensorflow/tfjs').Tensor | null)?.dataSync();
      return { lib, workload: `W4 ${name}`, value: (rate * 2 * M * N * K) / 1e9, unit: 'GFLOP/s' as const, peakRss: peakRss() };
    });
  }
  const { train, test } = mnist();
  const w1 = workload === 'W1';
  const model = tf.sequential();
  if (w1) {
    model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
    model.add(tf.layers.dense({ units: 128, activation: 'relu' }));
  } else {
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 30, kernelSize: 5, activation: 'relu' }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 100, activation: 'relu' }));
  }
  model.add(tf.layers.dense({ units: 10 }));
  model.compile({
    optimizer: w1 ? tf.train.sgd(0.1) : tf.train.adam(0.001),
    loss: (y: import('@tensorflow/tfjs').Tensor, p: import('@tensorflow/tfjs').Tensor) => tf.losses.softmaxCrossEntropy(y, p),
  });
  // NHWC float batches from the same bytes, one-hot labels for softmaxCrossEntropy.
  const batch = (ds: typeof train, idx: ArrayLike<number>) => {
    const x = new Float32Array(idx.length * 784);
    const y = new Float32Array(idx.length * 10);
    for (let b = 0; b < idx.length; b++) {
      for (let i = 0; i < 784; i++) x[b * 784 + i] = ds.images[idx[b] * 784 + i] / 255;
      y[b * 10 + ds.labels[idx[b]]] = 1;
    }
    return { x: tf.tensor4d(x, [idx.length, 28, 28, 1]), y: tf.tensor2d(y, [idx.length, 10]) };
  };
  if (workload === 'W3') {
    const r = timeBatches(10, () => 1000, seconds, (i) => tf.tidy(() => {
      const { x } = batch(test, Array.from({ length: 1000 }, (_, k) => i * 1000 + k));
      (model.predict(x) as import('@tensorflow/tfjs').Tensor).softmax().dataSync();
    }));
    return [{ lib, workload, value: r.rate, unit: 'samples/s', samples: r.samples, peakRss: peakRss() }];
  }
  const bs = w1 ? 64 : 100;
  const idx = order(train.count);
  const size = (i: number) => Math.min(bs, train.count - i * bs);
  try {
    const r = timeBatches(Math.ceil(train.count / bs), size, seconds, (i) => {
      const { x, y } = batch(train, idx.subarray(i * bs, i * bs + size(i)));
      // trainOnBatch is async only to read the loss back; awaiting it per batch would add event-loop
      // latency, so the loss is read synchronously through the optimizer path instead.
      const loss = tf.tidy(() => {
        const f = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as import('@tensorflow/tfjs').Tensor) as import('@tensorflow/tfjs').Scalar;
        return (model.optimizer as import('@tensorflow/tfjs').Optimizer).minimize(f, true)!;
      });
      loss.dataSync();
      tf.dispose([x, y, loss]);
    });
    return [{ lib, workload, value: r.rate, unit: 'samples/s', samples: r.samples, peakRss: peakRss() }];
  } catch (e) {
    return [{ lib, workload, value: null, unit: 'samples/s', peakRss: peakRss(), note: `cannot train: ${(e as Error).message.split('\n')[0]}` }];
  }
}

export async function runConvnetjs(workload: WorkloadId, seconds: number): Promise<Measurement[]> {
  const convnetjs = (await import('convnetjs')).default as typeof import('convnetjs');
  const lib = 'ConvNetJS';
  if (workload === 'W4') return [{ lib, workload: 'W4', value: null, unit: 'GFLOP/s', peakRss: peakRss(), note: 'no matrix multiply API' }];
  const { train, test } = mnist();
  const w1 = workload === 'W1';
  const net = new convnetjs.Net();
  net.makeLayers(w1
    ? [{ type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 }, { type: 'fc', num_neurons: 128, activation: 'relu' }, { type: 'softmax', num_classes: 10 }]
    : [{ type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 }, { type: 'conv', sx: 5, filters: 30, stride: 1, pad: 0, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 }, { type: 'fc', num_neurons: 100, activation: 'relu' }, { type: 'softmax', num_classes: 10 }]);
  const vol = (ds: typeof train, i: number) => {
    const v = new convnetjs.Vol(28, 28, 1, 0);
    for (let p = 0; p < 784; p++) v.w[p] = ds.images[i * 784 + p] / 255;
    return v;
  };
  if (workload === 'W3') {
    const r = timeBatches(10, () => 1000, seconds, (b) => {
      for (let k = 0; k < 1000; k++) { net.forward(vol(test, b * 1000 + k)); net.getPrediction(); }
    });
    return [{ lib, workload, value: r.rate, unit: 'samples/s', samples: r.samples, peakRss: peakRss() }];
  }
  const bs = w1 ? 64 : 100;
  const trainer = new convnetjs.Trainer(net, w1
    ? { method: 'sgd', learning_rate: 0.1, momentum: 0, batch_size: bs, l2_decay: 0 }
    : { method: 'adam', learning_rate: 0.001, batch_size: bs, l2_decay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const idx = order(train.count);
  const size = (i: number) => Math.min(bs, train.count - i * bs);
  // ConvNetJS takes one image at a time and updates every batch_size images.
  const r = timeBatches(Math.ceil(train.count / bs), size, seconds, (b) => {
    for (let k = 0; k < size(b); k++) trainer.train(vol(train, idx[b * bs + k]), train.labels[idx[b * bs + k]]);
  });
  return [{ lib, workload, value: r.rate, unit: 'samples/s', samples: r.samples, peakRss: peakRss() }];
}
