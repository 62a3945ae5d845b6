// zerograd for Node: everything in the core plus file-system helpers.
export * from './index.js';
export { loadMnist, loadMnistSplit, embeddedMnistDir, readIdxFile, idxFileNames, MNIST_FILES, type MnistData } from './data/mnist.js';
export { saveModel, loadModel, writeFileAtomic, saveCheckpoint, loadCheckpoint, type AtomicWriteOptions } from './io/node.js';
export { useBackend, createNodeWasmBackend, type BackendChoice } from './backends/wasm/node.js';
export { WasmBackend, wasmSupport } from './backends/wasm/index.js';
