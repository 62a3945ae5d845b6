// zerograd's WebAssembly kernels. Memory is imported (and shared between threads); the
// TypeScript side allocates every buffer and passes byte offsets, so no runtime allocator runs here.
export { gemm, gemmBlock, gemmScratchBytes, gemmSharedScratchBytes, setSpin } from './gemm';
export { gemmNT, gemmNTScratchBytes } from './gemm-nt';
import { SYNC_BYTES } from './gemm';
export { conv2d, conv2dBackwardInput, conv2dBackwardFilter, convScratchBytes, sumParts, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward } from './conv';
export { channelSums, channelAffine } from './channels';
export { softmax, softmaxBackward, softmaxCrossEntropy, crossEntropyBackward, countCorrect, reduce } from './softmax';
export { binary, relu, reluBackward, scale, axpy, addRowVector, sumRows, sgdSteps, adamSteps, tensorEntryInts, zero, dropoutMask, bytesToFloat, gatherRows } from './elementwise';

/** First byte after the module's static data: the TypeScript allocator starts above it. */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of zeroed counters at the start of a threaded kernel's scratch (the TypeScript side asks, so it is defined once). */
export function syncBytes(): i32 {
  return SYNC_BYTES;
}
