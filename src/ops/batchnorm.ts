// Batch normalization and global average pooling, with their backward written once for every
// backend. Batch norm's passes over x are the backend's per-channel kernels (channelSums,
// channelAffine); global average pooling is a plain loop, small next to the convolutions around it.
import { backend } from '../backends/index.js';
import { accumulate, result } from '../autograd/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';

export interface BatchNormOptions {
  /** Normalize with the batch's statistics and update the running ones (true), or use the running ones (false). */
  training: boolean;
  /** Weight of the new batch in the running averages (default 0.1, as PyTorch). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  eps?: number;
}

/**
 * Batch normalization (Ioffe & Szegedy, 2015), per channel c over the M = N·(H·W) values it has
 * in the batch (x:(N,C) or (N,C,H,W); any (N,C,…) works):
 *
 *   training:   μ = (1/M) Σ x         σ² = (1/M) Σ (x − μ)²   (biased: the batch's own spread)
 *               running_mean ← (1 − m)·running_mean + m·μ
 *               running_var  ← (1 − m)·running_var  + m·σ²·M/(M − 1)   (unbiased, as PyTorch)
 *   evaluation: μ = running_mean,   σ² = running_var
 *   x̂ = (x − μ) / √(σ² + ε)          y = γ·x̂ + β        γ, β:(C) (none when weight is null)
 *
 * Backward, with g = dy·γ (the gradient reaching x̂):
 *   training:   μ and σ² depend on every x of the channel, so
 *               dx = (1/√(σ² + ε)) · (g − mean(g) − x̂·mean(g·x̂))        (means over the channel's M values)
 *   evaluation: μ and σ² are constants:  dx = g / √(σ² + ε)
 *   dγ = Σ dy·x̂        dβ = Σ dy                                         (sums over N and H·W)
 * The running averages are updated in place (they are buffers, not part of the graph).
 */
export function batchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, runningMean: Tensor, runningVar: Tensor,
                          options: BatchNormOptions, layer = 'batchNorm'): Tensor {
  const C = runningMean.size;
  if (x.rank < 2 || x.shape[1] !== C) throw new Error(`${layer}: expected input (N,${C},…), got ${formatShape(x.shape)}`);
  const N = x.shape[0];
  const S = x.size / (N * C); // values per channel per example: H·W, or 1 for (N,C)
  const M = N * S;
  const momentum = options.momentum ?? 0.1;
  const eps = options.eps ?? 1e-5;
  // NOTE: with one value per channel the batch variance is 0 and x̂ is 0 for every input: PyTorch refuses it.
  if (options.training && M < 2) {
    throw new Error(`${layer}: training needs more than one value per channel, got input ${formatShape(x.shape)} (use a batch of 2 or more, or eval())`);
  }
  const be = backend();
  // Per-channel numbers live in arrays of x's type, so a backend's kernels can take them.
  const mean = be.empty(C, x.dtype);
  const invStd = new Float64Array(C);
  if (options.training) {
    // Two passes (mean, then squared deviations): stable where Σx² − M·μ² would cancel.
    const sum = be.empty(C, x.dtype);
    const squares = be.empty(C, x.dtype);
    be.channelSums(x.data, null, null, null, N, C, S, sum, null);
    for (let c = 0; c < C; c++) mean[c] = sum[c] / M;
    be.channelSums(x.data, x.data, mean, mean, N, C, S, sum, squares); // squares[c] = Σ (x − μ)²
    for (let c = 0; c < C; c++) {
      const v = squares[c] / M;
      invStd[c] = 1 / Math.sqrt(v + eps);
      runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean[c];
      runningVar.data[c] = (1 - momentum) * runningVar.data[c] + momentum * (v * M / (M - 1));
    }
  } else {
    for (let c = 0; c < C; c++) {
      mean[c] = runningMean.data[c];
      invStd[c] = 1 / Math.sqrt(runningVar.data[c] + eps);
    }
  }
  // y = γ·x̂ + β = a·x + b per channel, with a = γ/√(σ²+ε) and b = β − a·μ: one multiply-add per value.
  const a = be.empty(C, x.dtype);
  const b = be.empty(C, x.dtype);
  for (let c = 0; c < C; c++) {
    a[c] = (weight ? weight.data[c] : 1) * invStd[c];
    b[c] = (bias ? bias.data[c] : 0) - a[c] * mean[c];
  }
  const y = be.empty(x.size, x.dtype);
  be.channelAffine(x.data, a, null, null, b, N, C, S, y);
  const parents = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  return result(y, x.shape, options.training ? 'batchNorm' : 'batchNorm(eval)', parents, (dy) => {
    // Per channel: Σ dy (= dβ) and Σ dy·x̂ (= dγ) = Σ dy·(x − μ) / √(σ²+ε): one pass over dy and x.
    const sumDy = be.empty(C, x.dtype);
    const sumDyXhat = be.empty(C, x.dtype);
    be.channelSums(dy, x.data, null, mean, N, C, S, sumDy, sumDyXhat);
    for (let c = 0; c < C; c++) sumDyXhat[c] *= invStd[c];
    if (x.requiresGrad) {
      const A = be.empty(C, x.dtype);
      const B = be.empty(C, x.dtype);
      const D = be.empty(C, x.dtype);
      for (let c = 0; c < C; c++) {
        const g = weight ? weight.data[c] : 1;
        const k = invStd[c];
        // mean(g) = γ·Σdy/M and mean(g·x̂) = γ·Σdy·x̂/M; in evaluation both terms drop out.
        const meanG = options.training ? (g * sumDy[c]) / M : 0;
        const meanGXhat = options.training ? (g * sumDyXhat[c]) / M : 0;
        // dx = k·(γ·dy − mean(g) − x̂·mean(g·x̂)) with x̂ = k·(x − μ), gathered as A·dy + B·x + D per channel.
        A[c] = k * g;
        B[c] = -k * k * meanGXhat;
        D[c] = k * k * mean[c] * meanGXhat - k * meanG;
      }
      const dx = be.empty(x.size, x.dtype);
      be.channelAffine(dy, A, x.data, B, D, N, C, S, dx);
      accumulate(x, dx, true);
    }
    if (weight && weight.requiresGrad) accumulate(weight, sumDyXhat, true); // dγ = Σ dy·x̂
    if (bias && bias.requiresGrad) accumulate(bias, sumDy, true); // dβ = Σ dy
  });
}

/**
 * Global average pooling (PyTorch's AdaptiveAvgPool2d(1)): each feature map becomes its mean.
 *   y[n,c,0,0] = (1/(H·W)) Σ_{h,w} x[n,c,h,w]      x:(N,C,H,W) -> y:(N,C,1,1)
 *   dx[n,c,h,w] = dy[n,c,0,0] / (H·W)
 * It lets a network end in a dense layer whatever the image size, with no weights of its own.
 */
export function globalAvgPool2d(x: Tensor, layer = 'globalAvgPool2d'): Tensor {
  if (x.rank !== 4) throw new Error(`${layer}: expected input (N,C,H,W), got ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const S = H * W;
  const xd = x.data;
  const y = backend().empty(N * C, x.dtype);
  for (let j = 0; j < N * C; j++) {
    let s = 0;
    for (let i = 0, o = j * S; i < S; i++) s += xd[o + i];
    y[j] = s / S;
  }
  return result(y, [N, C, 1, 1], 'globalAvgPool2d', [x], (dy) => {
    const dx = backend().empty(x.size, x.dtype);
    for (let j = 0; j < N * C; j++) {
      const g = dy[j] / S;
      for (let i = 0, o = j * S; i < S; i++) dx[o + i] = g;
    }
    accumulate(x, dx, true);
  });
}
