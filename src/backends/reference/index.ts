// The reference backend: plain TypeScript loops, complete and readable. It is the
// specification every faster backend is tested against.
import type { Backend } from '../backend.js';
import { axpy, binary, dropoutMask, map, mapBackward } from './elementwise.js';
import { channelAffine, channelSums, copyBox, gatherBytes, permute, reduce } from './reduce.js';
import { addRowVector, gemm, sumRows } from './gemm.js';
import { avgPool2d, avgPool2dBackward, conv2d, conv2dBackwardFilter, conv2dBackwardInput, maxPool2d, maxPool2dBackward } from './conv.js';
import { softmax, softmaxCrossEntropy } from './softmax.js';

export const referenceBackend: Backend = {
  name: 'reference',
  threads: 1,
  alloc: (n, dtype) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)),
  empty: (n, dtype) => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n)),
  allocInt32: (n) => new Int32Array(n),
  // Plain typed arrays: the garbage collector frees them, so scopes and steps have nothing to do.
  scope: (fn) => fn(),
  stepBoundary: () => {},
  keep: () => {},
  dispose: () => {},
  isReleased: () => false,
  map, mapBackward, binary, axpy,
  reduce, permute, copyBox, gatherBytes,
  gemm, addRowVector, sumRows,
  channelSums, channelAffine,
  conv2d, conv2dBackwardInput, conv2dBackwardFilter,
  maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward,
  softmax, softmaxCrossEntropy,
  dropoutMask,
  // No fast paths: the ops and optimizers run their definitions (softmaxBackward, sgdUpdate, adamUpdate).
};
