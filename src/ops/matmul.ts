// Matrix products: matmul and the fused fully connected (dense) layer op.
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';
import { reluGrad } from './elementwise.js';

/**
 * y = a·b     a:(M,K) b:(K,N) -> y:(M,N)
 * da = dy·bᵀ    db = aᵀ·dy
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matmul: expected (M,K)·(K,N), got ${formatShape(a.shape)}·${formatShape(b.shape)}`);
  }
  const [M, K] = a.shape;
  const N = b.shape[1];
  const y = backend().empty(M * N, a.dtype);
  backend().gemm(false, false, M, N, K, a.data, b.data, 0, y);
  return result(y, [M, N], 'matmul', [a, b], (dy) => {
    if (a.requiresGrad) {
      const da = backend().empty(M * K, a.dtype);
      backend().gemm(false, true, M, K, N, dy, b.data, 0, da); // da = dy·bᵀ
      accumulate(a, da, true);
    }
    if (b.requiresGrad) {
      const db = backend().empty(K * N, b.dtype);
      backend().gemm(true, false, K, N, M, a.data, dy, 0, db); // db = aᵀ·dy
      accumulate(b, db, true);
    }
  });
}

export interface LinearOptions {
  /**
   * Apply ReLU as the product is stored: y = max(0, x·wᵀ + b). Same values as linear() then
   * relu(), one kernel instead of three and no pre-activation tensor kept for the backward.
   */
  relu?: boolean;
}

/**
 * The fully connected (dense) layer: every output is a weighted sum of every input, plus a bias.
 *   y = x·wᵀ + b     x:(N,IN) w:(OUT,IN) b:(OUT) -> y:(N,OUT)
 * Backward:
 *   dx = dy·w        (N,OUT)·(OUT,IN)
 *   dw = dyᵀ·x       (OUT,N)·(N,IN)
 *   db = Σ_n dy[n,:]
 * w is stored (OUT,IN) like PyTorch, so each row of w is one neuron's weights.
 * With options.relu, y = max(0, x·wᵀ + b) and dy first becomes dy ⊙ [y > 0].
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, layer = 'linear', options: LinearOptions = {}): Tensor {
  const [OUT, IN] = w.shape;
  if (x.rank !== 2 || x.shape[1] !== IN) {
    throw new Error(`${layer}: expected input (N,${IN}), got ${formatShape(x.shape)}`);
  }
  const N = x.shape[0];
  const relu = options.relu ?? false;
  const y = backend().empty(N * OUT, x.dtype);
  backend().gemm(false, true, N, OUT, IN, x.data, w.data, 0, y, { bias: b ? b.data : null, relu });
  const parents = b ? [x, w, b] : [x, w];
  return result(y, [N, OUT], relu ? 'linear+relu' : 'linear', parents, (dyIn) => {
    // With relu, dy = dyIn ⊙ [y > 0]: the products read dyIn through that mask (reluMaskA) rather
    // than a masked copy, and db = Σ_n dy comes out of dw's product, which reads every dy anyway.
    const reluMaskA = relu ? y : null;
    const db = b && b.requiresGrad ? backend().empty(OUT, b.dtype) : null;
    if (x.requiresGrad) {
      const dx = backend().empty(N * IN, x.dtype);
      backend().gemm(false, false, N, IN, OUT, dyIn, w.data, 0, dx, { reluMaskA }); // dx = dy·w
      accumulate(x, dx, true);
    }
    if (w.requiresGrad) {
      const dw = backend().empty(OUT * IN, w.dtype);
      backend().gemm(true, false, OUT, IN, N, dyIn, x.data, 0, dw, { reluMaskA, rowSumsA: db }); // dw = dyᵀ·x, db = Σ_n dy
      accumulate(w, dw, true);
    } else if (db) {
      backend().sumRows(relu ? reluGrad(y, dyIn, x.dtype) : dyIn, N, OUT, db, false); // db = Σ_n dy
    }
    if (b && db) accumulate(b, db, true);
  });
}
