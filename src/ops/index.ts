// All ops, as functions. Most are also methods on Tensor: importing this module attaches them.
import './methods.js';
export { add, sub, mul, div, neg, exp, log, sqrt, abs, pow, scale, relu, sigmoid, tanh } from './elementwise.js';
export { sum, mean, max, argmax } from './reduce.js';
export { reshape, flatten, transpose, slice, pad, concat } from './shape.js';
export { matmul, linear } from './matmul.js';
export { conv2d, maxPool2d, avgPool2d, outputSize, type Conv2dOptions, type Pool2dOptions } from './conv.js';
export { softmax, logSoftmax, softmaxCrossEntropy } from './softmax.js';
export { dropout } from './dropout.js';
export { batchNorm, globalAvgPool2d, type BatchNormOptions } from './batchnorm.js';
