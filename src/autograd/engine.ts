// Reverse-mode automatic differentiation.
//
// Every op that produces a tensor from inputs that need gradients records a GradNode:
// its parents and a `backward` closure that, given dy (the gradient of the final loss with
// respect to the op's output), adds each parent's share into that parent's gradient.
// `backward()` visits the nodes in reverse topological order, so a node runs only after
// every consumer of its output has contributed to its gradient.
import type { Data } from '../backends/backend.js';
import { backend } from '../backends/index.js';
import { Tensor } from '../tensor/tensor.js';
import { formatShape, shapeEquals, sizeOf } from '../tensor/shape.js';

export type { GradNode } from '../tensor/tensor.js';

// `tensor.backward()` is the autograd layer's method on Tensor: declared here by module
// augmentation (the type merges into the Tensor class) and attached to the prototype below,
// so src/tensor does not import the engine. Any module that imports this one has it.
declare module '../tensor/tensor.js' {
  interface Tensor {
    /**
     * Backpropagate from this tensor: fills `.grad` of every leaf it depends on.
     * `grad` (dy for this tensor) defaults to 1 and is required when the tensor is not a scalar.
     * @example const loss = crossEntropy(model.forward(x), labels); loss.backward();
     */
    backward(grad?: Tensor): void;
  }
}

Object.defineProperty(Tensor.prototype, 'backward', {
  value: function backward(this: Tensor, grad?: Tensor): void { runBackward(this, grad); },
  writable: true, configurable: true, enumerable: false, // like a method written in the class body
});

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Run `fn` without recording the graph: for inference and for weight updates.
 * @example const probs = noGrad(() => model.forward(x).softmax());
 */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/**
 * Wrap an op's output. Records the graph only if grad mode is on and some parent
 * requires a gradient; otherwise the result is a plain constant tensor.
 */
export function result(data: Data, shape: readonly number[], op: string, parents: Tensor[],
                       backward: (dy: Data) => void): Tensor {
  const needs = gradEnabled && parents.some((p) => p.requiresGrad);
  const t = new Tensor(data, shape, needs);
  if (needs) t.gradFn = { op, parents, backward };
  return t;
}

// During one backward pass, gradients of intermediate tensors live here rather than on the
// tensors (like PyTorch, only leaves keep .grad), so they are freed when the pass ends.
let pending: Map<Tensor, Data> | null = null;

/**
 * Add g into t's gradient (t.grad for leaves, the pass's table for intermediates).
 * A tensor that feeds two consumers receives both contributions here.
 * Pass fresh = true when g was allocated for this call alone, so it can be kept without a copy.
 */
export function accumulate(t: Tensor, g: Data, fresh = false): void {
  if (!t.requiresGrad) return;
  if (g.length !== t.size) {
    throw new Error(`internal: gradient of length ${g.length} for tensor of shape ${formatShape(t.shape)}`);
  }
  const b = backend();
  if (t.gradFn && pending) {
    const prev = pending.get(t);
    if (prev) b.axpy(1, g, prev);
    else pending.set(t, fresh ? g : copyOf(g));
    return;
  }
  if (t.grad) {
    b.axpy(1, g, t.grad.data);
  } else {
    // A leaf's gradient outlives the step's scope: the optimizer reads it after backward.
    const own = fresh ? g : copyOf(g);
    b.keep(own);
    t.grad = new Tensor(own, t.shape, false);
  }
}

function copyOf(g: Data): Data {
  const c = backend().empty(g.length, g instanceof Float64Array ? 'float64' : 'float32');
  c.set(g);
  return c;
}

/** Release a leaf's gradient (zeroGrad): its memory goes back to the backend. */
export function clearGrad(t: Tensor): void {
  if (t.grad) backend().dispose(t.grad.data);
  t.grad = null;
}

/** Run backpropagation from `root`. `grad` defaults to 1 and is required for non-scalar roots. */
export function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error('backward: this tensor does not require grad (no parameter or input with requiresGrad was used to compute it, or it was computed under noGrad)');
  }
  if (root.data.length === 0) throw new Error('backward: empty tensor'); // reading data also checks it was not reclaimed
  let seed: Data;
  if (grad) {
    if (!shapeEquals(grad.shape, root.shape)) {
      throw new Error(`backward: gradient of shape ${formatShape(grad.shape)} given for a tensor of shape ${formatShape(root.shape)}`);
    }
    seed = copyOf(grad.data);
  } else {
    if (sizeOf(root.shape) !== 1) {
      throw new Error(`backward: a tensor of shape ${formatShape(root.shape)} needs an explicit gradient; call it on a scalar loss or pass grad`);
    }
    seed = backend().empty(1, root.dtype); // (empty, not alloc: its one value is written next)
    seed[0] = 1;
  }
  const order = topologicalOrder(root);
  const outer = pending;
  pending = new Map();
  const b = backend();
  try {
    accumulate(root, seed, true);
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const dy = pending.get(node);
      if (!dy || !node.gradFn) continue;
      pending.delete(node);
      node.gradFn.backward(dy);
    }
  } finally {
    pending = outer;
  }
  // The end of a training step: the tensors of the step before this one are no longer needed
  // (outside scope(), the wasm backend frees them now; see Backend.stepBoundary).
  if (!outer) b.stepBoundary();
}

/** Nodes reachable from root, each after all of its parents (iterative DFS: deep graphs do not overflow the stack). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const parents = t.gradFn ? t.gradFn.parents : [];
    if (i < parents.length) {
      top[1]++;
      const p = parents[i];
      if (!visited.has(p) && p.requiresGrad) {
        visited.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
