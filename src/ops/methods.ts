// The ops as methods on Tensor: `x.add(y)`, `x.matmul(w)`, `logits.softmax()`, ...
//
// src/tensor/tensor.ts holds the data structure and imports nothing above it; the ops
// layer adds its methods here. `declare module` merges the TensorOps signatures into the
// Tensor class's type (module augmentation), and the loop at the end puts the implementations on
// Tensor.prototype when this module loads. src/index.ts and src/ops/index.ts import it for
// that effect, so `import ... from 'zerograd'` always has them; a module inside zerograd that
// calls a method imports this file too. Each method is the op function of the same name
// (see that file for the math and the gradient).
import { Tensor } from '../tensor/tensor.js';
import * as ew from './elementwise.js';
import * as red from './reduce.js';
import * as sh from './shape.js';
import * as mm from './matmul.js';
import * as sm from './softmax.js';

/** The op methods of Tensor; `this` is the first operand. */
export interface TensorOps {
  add(o: Tensor | number): Tensor;
  sub(o: Tensor | number): Tensor;
  mul(o: Tensor | number): Tensor;
  div(o: Tensor | number): Tensor;
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  pow(p: number): Tensor;
  abs(): Tensor;
  relu(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  sum(axes?: number | number[], keepDims?: boolean): Tensor;
  mean(axes?: number | number[], keepDims?: boolean): Tensor;
  max(axes?: number | number[], keepDims?: boolean): Tensor;
  argmax(axis?: number): Int32Array;
  reshape(shape: number[]): Tensor;
  flatten(startAxis?: number): Tensor;
  transpose(perm?: number[]): Tensor;
  slice(starts: number[], ends: number[]): Tensor;
  pad(pads: Array<[number, number]>): Tensor;
  matmul(o: Tensor): Tensor;
  softmax(axis?: number): Tensor;
  logSoftmax(axis?: number): Tensor;
}

declare module '../tensor/tensor.js' {
  // Declaration merging: the Tensor class gains every TensorOps method.
  interface Tensor extends TensorOps {}
}

const methods: TensorOps & ThisType<Tensor> = {
  add(o) { return ew.add(this, o); },
  sub(o) { return ew.sub(this, o); },
  mul(o) { return ew.mul(this, o); },
  div(o) { return ew.div(this, o); },
  neg() { return ew.neg(this); },
  exp() { return ew.exp(this); },
  log() { return ew.log(this); },
  sqrt() { return ew.sqrt(this); },
  pow(p) { return ew.pow(this, p); },
  abs() { return ew.abs(this); },
  relu() { return ew.relu(this); },
  sigmoid() { return ew.sigmoid(this); },
  tanh() { return ew.tanh(this); },
  sum(axes, keepDims = false) { return red.sum(this, axes, keepDims); },
  mean(axes, keepDims = false) { return red.mean(this, axes, keepDims); },
  max(axes, keepDims = false) { return red.max(this, axes, keepDims); },
  argmax(axis = -1) { return red.argmax(this, axis); },
  reshape(shape) { return sh.reshape(this, shape); },
  flatten(startAxis = 1) { return sh.flatten(this, startAxis); },
  transpose(perm) { return sh.transpose(this, perm); },
  slice(starts, ends) { return sh.slice(this, starts, ends); },
  pad(pads) { return sh.pad(this, pads); },
  matmul(o) { return mm.matmul(this, o); },
  softmax(axis = -1) { return sm.softmax(this, axis); },
  logSoftmax(axis = -1) { return sm.logSoftmax(this, axis); },
};

// Non-enumerable, like methods written in the class body.
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}
