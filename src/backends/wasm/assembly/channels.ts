// Per-channel kernels for batch normalization: sums over a channel's values, and an affine map
// with one set of coefficients per channel. x:(N,C,S) — S values per channel per example, so the
// channel's values are N runs of S contiguous floats. Threads take whole channels (sums) or whole
// (n, c) runs (affine), so a result never depends on the thread count.

@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

/** Σ of the four lanes of a·b in f64, added to acc (two f64x2 lanes). */
@inline function sumLanes(acc: v128, v: v128): v128 {
  return f64x2.add(f64x2.add(acc, f64x2.promote_low_f32x4(v)), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
}

/**
 * For this thread's channels c: sumA[c] = Σ a, and when b is given (b ≠ 0)
 * sumAB[c] = Σ (a − shiftA[c])·(b − shiftB[c]) (a zero shift pointer: no shift). Sums over n and s,
 * accumulated in f64 (a channel has N·S values: 78,400 for a batch of 100 28×28 maps).
 */
export function channelSums(a: usize, b: usize, shiftA: usize, shiftB: usize, N: i32, C: i32, S: i32,
                            sumA: usize, sumAB: usize, tid: i32, nt: i32): void {
  const c0 = <i32>((<i64>C * tid) / nt), c1 = <i32>((<i64>C * (tid + 1)) / nt);
  for (let c = c0; c < c1; c++) {
    const sa: f32 = shiftA ? load<f32>(at(shiftA, c)) : 0;
    const sb: f32 = shiftB ? load<f32>(at(shiftB, c)) : 0;
    const vsa = f32x4.splat(sa), vsb = f32x4.splat(sb);
    let accA = f64x2.splat(0), accAB = f64x2.splat(0);
    let tailA: f64 = 0, tailAB: f64 = 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * S;
      let i = 0;
      if (b) {
        for (; i + 4 <= S; i += 4) {
          const va = v128.load(at(a, o + i));
          accA = sumLanes(accA, va);
          accAB = sumLanes(accAB, f32x4.mul(f32x4.sub(va, vsa), f32x4.sub(v128.load(at(b, o + i)), vsb)));
        }
        for (; i < S; i++) {
          const va = load<f32>(at(a, o + i));
          tailA += <f64>va;
          tailAB += <f64>((va - sa) * (load<f32>(at(b, o + i)) - sb));
        }
      } else {
        for (; i + 4 <= S; i += 4) accA = sumLanes(accA, v128.load(at(a, o + i)));
        for (; i < S; i++) tailA += <f64>load<f32>(at(a, o + i));
      }
    }
    store<f32>(at(sumA, c), <f32>(f64x2.extract_lane(accA, 0) + f64x2.extract_lane(accA, 1) + tailA));
    if (b) store<f32>(at(sumAB, c), <f32>(f64x2.extract_lane(accAB, 0) + f64x2.extract_lane(accAB, 1) + tailAB));
  }
}

/** out = p[c]·x + q[c]·z + r[c] over this thread's (n, c) runs; without z (z = 0) out = p[c]·x + r[c]. */
export function channelAffine(x: usize, p: usize, z: usize, q: usize, r: usize, N: i32, C: i32, S: i32, out: usize,
                              tid: i32, nt: i32): void {
  const runs = N * C;
  const j0 = <i32>((<i64>runs * tid) / nt), j1 = <i32>((<i64>runs * (tid + 1)) / nt);
  for (let j = j0; j < j1; j++) {
    const c = j % C;
    const o = j * S;
    const pc = load<f32>(at(p, c)), rc = load<f32>(at(r, c));
    const qc: f32 = z ? load<f32>(at(q, c)) : 0;
    const vp = f32x4.splat(pc), vq = f32x4.splat(qc), vr = f32x4.splat(rc);
    let i = 0;
    if (z) {
      for (; i + 4 <= S; i += 4) {
        const v = f32x4.add(f32x4.mul(vp, v128.load(at(x, o + i))), f32x4.mul(vq, v128.load(at(z, o + i))));
        v128.store(at(out, o + i), f32x4.add(v, vr));
      }
      for (; i < S; i++) store<f32>(at(out, o + i), pc * load<f32>(at(x, o + i)) + qc * load<f32>(at(z, o + i)) + rc);
    } else {
      for (; i + 4 <= S; i += 4) v128.store(at(out, o + i), f32x4.add(f32x4.mul(vp, v128.load(at(x, o + i))), vr));
      for (; i < S; i++) store<f32>(at(out, o + i), pc * load<f32>(at(x, o + i)) + rc);
    }
  }
}
