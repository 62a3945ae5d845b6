// zerograd for Node: everything in the core plus file-system helpers.
export * from './index.js';
export { loadMnist, loadMnistSplit, embeddedMnistDir, readIdxFile, idxFileNames, MNIST_FILES, type MnistData } from './data/mnist.js';
export { loadImageFolder, dataLayout, PICTURE_EXTENSIONS, DEFAULT_VAL_SPLIT, type ImageFolderData, type ImageFolderOptions, type DataLayout } from './data/image-folder.js';
export { readImage, decodeImage, type DecodedImage } from './data/image-file.js';
export { saveModel, loadModel, writeFileAtomic, saveCheckpoint, loadCheckpoint, type AtomicWriteOptions } from './io/node.js';
export { useBackend, createNodeWasmBackend, type BackendChoice } from './backends/wasm/node.js';
export { WasmBackend, wasmSupport } from './backends/wasm/index.js';
