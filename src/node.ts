// zerograd for Node: everything in the core plus file-system helpers.
export * from './index.js';
export { loadMnist, embeddedMnistDir, readIdxFile, MNIST_FILES, type MnistData } from './data/mnist.js';
export { saveModel, loadModel, writeFileAtomic } from './io/node.js';
