// Internal to quant/: one group of optimized-scale quantization (affine_optimized.h, steps
// 1–4, uniform or with column weights) for the fast kernels (quantize and the error measure
// share it). Bitwise identical to quantize_affine_optimized_reference: every float sum is
// the spec's lane sum over 8 lanes (term i in lane i mod 8, lanes added pairwise) or pair
// sum (term i in lane i mod 2), kept on 8-lane vectors written with the GCC/Clang vector
// extension, so nothing is reassociated and no fast-math is needed.
//
// Why it is fast: the clipping search runs 8 candidates at once, one candidate per vector
// lane, walking the group's elements in order. The sum of x*l then needs 8 accumulators
// (one per lane position i mod 8) whose pairwise total is vertical vector adds, and the 8
// least-squares fits are solved together on float64 vectors with one vector division: the
// per-candidate horizontal reductions and scalar divisions, which bounded the earlier
// one-candidate-at-a-time loop, are gone. Unweighted, the sums of l and l*l are exact in
// float32 (integers below 2^24: at most 128 codes of at most 255), so any order gives the
// spec's pair sums; weighted, they are the two even/odd accumulators in index order, which
// is the pair sum. The sum of (w*)x*l keeps the lane order. Code recomputation and the
// refits are element-wise vector loops too. Weighting costs one multiply per element and
// candidate; measured no slower overall (README, "Optimized scales").
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__AVX__)
#include <immintrin.h>
#endif

#include "swan/core/dtype.h"
#include "swan/quant/affine_group.h"
#include "swan/quant/affine_optimized.h"

namespace swan::quant::detail {

inline constexpr int kSumLanes = 8;

// 4 doubles: one AVX2 register (Lanes8, 8 floats, is affine_group.h's).
typedef double Lanes4d __attribute__((vector_size(32)));

inline void store_lanes8(float* p, Lanes8 v) { std::memcpy(p, &v, sizeof v); }

inline Lanes8 broadcast(float v) { return Lanes8{v, v, v, v, v, v, v, v}; }

// The spec's pairwise order: l + (l + 4), then l + (l + 2), then the two left.
inline float lane_total(Lanes8 lanes) {
  float l[kSumLanes];
  std::memcpy(l, &lanes, sizeof l);
  const float f0 = l[0] + l[4], f1 = l[1] + l[5], f2 = l[2] + l[6], f3 = l[3] + l[7];
  return (f0 + f2) + (f1 + f3);
}

// rint for v >= +0 and v < 2^23 (round to nearest even): vroundps where AVX exists, else
// (v + 2^23) - 2^23, which rounds the same way exactly. Both give +0 for +0.
inline Lanes8 rint_nonnegative(Lanes8 v) {
#if defined(__AVX__)
  constexpr int kNearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  return reinterpret_cast<Lanes8>(_mm256_round_ps(reinterpret_cast<__m256>(v), kNearest));
#else
  constexpr float kRoundingShift = 8388608.0f;  // 2^23
  return (v + kRoundingShift) - kRoundingShift;
#endif
}

// v > high ? high : v, lane-wise: one vminps (which returns its second operand when the
// first is not below it) instead of a compare and a blend.
inline Lanes8 min_lanes(Lanes8 v, float high) {
#if defined(__AVX__)
  return reinterpret_cast<Lanes8>(_mm256_min_ps(_mm256_set1_ps(high), reinterpret_cast<__m256>(v)));
#else
  return v > high ? broadcast(high) : v;
#endif
}

// clamp(rint(v), 0, n_bins) as clamp then round: the same value for every v (rint is monotone
// and keeps the integer bounds), except that a code of zero is always +0 where rint could
// give -0; a zero code contributes nothing to any sum, product or packed word either way.
inline Lanes8 clamped_codes(Lanes8 v, float n_bins) {
  v = v < 0.0f ? Lanes8{} : v;
  return rint_nonnegative(min_lanes(v, n_bins));
}

struct OptimizedFit {
  double scale = 0.0;
  double bias = 0.0;
  double score = 0.0;
  bool valid = false;
};

// Least squares x ~ scale * l + bias from the sums (n, sum x fixed per group), solved in
// float64 for 8 candidates at once, in the spec's operation order per lane. A lane is valid
// if the determinant and the scale are positive.
struct FitLanes {
  double scale[kSumLanes], bias[kSumLanes], score[kSumLanes];
  bool valid[kSumLanes];
};

inline void solve_half(double count, double s_x, Lanes4d s_l, Lanes4d s_ll, Lanes4d s_xl, double* scale,
                       double* bias, double* score, bool* valid) {
  const Lanes4d det = count * s_ll - s_l * s_l;
  const Lanes4d inverse = 1.0 / det;
  const Lanes4d sc = (count * s_xl - s_x * s_l) * inverse;
  const Lanes4d bi = (s_ll * s_x - s_l * s_xl) * inverse;
  const Lanes4d sco = sc * s_xl + bi * s_x;
  for (int t = 0; t < 4; ++t) {
    scale[t] = sc[t];
    bias[t] = bi[t];
    score[t] = sco[t];
    valid[t] = det[t] > 0.0 && sc[t] > 0.0;
  }
}

inline Lanes4d widen_low(Lanes8 v) { return Lanes4d{v[0], v[1], v[2], v[3]}; }
inline Lanes4d widen_high(Lanes8 v) { return Lanes4d{v[4], v[5], v[6], v[7]}; }

inline FitLanes solve_fits(float n, float s_x, Lanes8 s_l, Lanes8 s_ll, Lanes8 s_xl) {
  FitLanes f;
  solve_half(n, s_x, widen_low(s_l), widen_low(s_ll), widen_low(s_xl), f.scale, f.bias, f.score, f.valid);
  solve_half(n, s_x, widen_high(s_l), widen_high(s_ll), widen_high(s_xl), f.scale + 4, f.bias + 4, f.score + 4,
             f.valid + 4);
  return f;
}

// One fit, the same arithmetic as a lane of solve_fits.
inline OptimizedFit solve_fit(float n, float s_x, float s_l, float s_ll, float s_xl) {
  const double count = n;
  const double det = count * s_ll - static_cast<double>(s_l) * s_l;
  if (!(det > 0.0)) return {};
  const double inverse = 1.0 / det;
  OptimizedFit f;
  f.scale = (count * s_xl - static_cast<double>(s_x) * s_l) * inverse;
  f.bias = (static_cast<double>(s_ll) * s_x - static_cast<double>(s_l) * s_xl) * inverse;
  f.score = f.scale * s_xl + f.bias * s_x;
  f.valid = f.scale > 0.0;
  return f;
}

// ll + q * q for integer-valued q and ll, ll + q * q < 2^24: every step is exact in float32,
// so a fused multiply-add (one instruction instead of two) gives the same value.
inline Lanes8 add_square(Lanes8 ll, Lanes8 q) {
#if defined(__FMA__)
  return reinterpret_cast<Lanes8>(_mm256_fmadd_ps(reinterpret_cast<__m256>(q), reinterpret_cast<__m256>(q),
                                                  reinterpret_cast<__m256>(ll)));
#else
  return ll + q * q;
#endif
}

// Step 1 for 8 candidates, lane c with inverse scale iscale[c]: the sums of l, l*l and x*l
// over the group. x*l goes to accumulator i mod 8 in index order, then the 8 accumulators
// are added pairwise (0+4, 2+6, 1+5, 3+7, ...), the spec's lane sum done vertically.
// Clamp false skips the upper clamp of the codes, for batches whose candidates cannot
// exceed n_bins (iscale <= (n_bins + 0.4) / span gives d * iscale < n_bins + 0.5).
struct SearchSums {
  Lanes8 s_l, s_ll, s_xl;
};

template <bool Clamp, bool Weighted>
inline SearchSums search_sums(const float* x, const float* w, const float* d, int n, Lanes8 iscale, float n_bins) {
  Lanes8 l_even = {}, l_odd = {}, ll_even = {}, ll_odd = {};
  Lanes8 xl[kSumLanes] = {};
  for (int j = 0; j < n; j += kSumLanes) {
#pragma GCC unroll 8
    for (int t = 0; t < kSumLanes; t += 2) {
      Lanes8 q0 = rint_nonnegative(broadcast(d[j + t]) * iscale);
      Lanes8 q1 = rint_nonnegative(broadcast(d[j + t + 1]) * iscale);
      if constexpr (Clamp) {
        q0 = min_lanes(q0, n_bins);
        q1 = min_lanes(q1, n_bins);
      }
      if constexpr (Weighted) {
        // Not exact any more: the pair sums' order is the spec's (term i in lane i mod 2),
        // and x here is w * x.
        const Lanes8 wq0 = broadcast(w[j + t]) * q0;
        const Lanes8 wq1 = broadcast(w[j + t + 1]) * q1;
        l_even += wq0;
        l_odd += wq1;
        ll_even += wq0 * q0;
        ll_odd += wq1 * q1;
      } else {
        l_even += q0;
        l_odd += q1;
        ll_even = add_square(ll_even, q0);
        ll_odd = add_square(ll_odd, q1);
      }
      xl[t] += x[j + t] * q0;
      xl[t + 1] += x[j + t + 1] * q1;
    }
  }
  const Lanes8 f0 = xl[0] + xl[4], f1 = xl[1] + xl[5], f2 = xl[2] + xl[6], f3 = xl[3] + xl[7];
  return {l_even + l_odd, ll_even + ll_odd, (f0 + f2) + (f1 + f3)};
}

// Fit on given codes (step 3); x is w * x when Weighted, s_w the sum of the weights.
template <bool Weighted>
inline OptimizedFit fit_codes(const float* x, const float* w, const float* codes, int n, float s_w, float s_x) {
  Lanes8 a_l = {}, a_ll = {}, a_xl = {};
  for (int j = 0; j < n; j += kSumLanes) {
    const Lanes8 l = load_lanes8(codes + j);
    if constexpr (Weighted) {
      const Lanes8 wl = load_lanes8(w + j) * l;
      a_l += wl;
      a_ll += wl * l;
    } else {
      a_l += l;
      a_ll += l * l;
    }
    a_xl += load_lanes8(x + j) * l;
  }
  return solve_fit(s_w, s_x, lane_total(a_l), lane_total(a_ll), lane_total(a_xl));
}

struct StoredParams {
  float scale;
  float bias;
  bool valid;
};

inline StoredParams stored_params(double fit_scale, double fit_bias, DType dtype) {
  const float scale = round_to_scale_dtype(dtype, static_cast<float>(fit_scale));
  const float bias = round_to_scale_dtype(dtype, static_cast<float>(fit_bias));
  return {scale, bias, std::isfinite(scale) && std::isfinite(bias) && scale > 0.0f};
}

inline void codes_from(const float* x, int n, StoredParams p, float n_bins, float* codes) {
  for (int j = 0; j < n; j += kSumLanes)
    store_lanes8(codes + j, clamped_codes((load_lanes8(x + j) - p.bias) / p.scale, n_bins));
}

// sum w * (fl(fl(q * scale) + bias) - x)^2 as lane sums (w = 1 unless Weighted).
template <bool Weighted>
inline float squared_error(const float* x, const float* w, const float* codes, int n, float scale, float bias) {
  Lanes8 a = {};
  for (int j = 0; j < n; j += kSumLanes) {
    const Lanes8 d = (load_lanes8(codes + j) * scale + bias) - load_lanes8(x + j);
    if constexpr (Weighted)
      a += load_lanes8(w + j) * (d * d);
    else
      a += d * d;
  }
  return lane_total(a);
}

// Quantizes one group (n a multiple of 16, at most 128): the stored (dtype-rounded)
// scale and bias and the codes, as floats in [0, n_bins]. Weighted: w holds the group's
// column weights (affine_optimized.h); otherwise w is unused and every weight is 1.
template <bool Weighted>
inline void optimized_group(const float* x, const float* w, int n, float n_bins, DType dtype, float* codes,
                            float& scale, float& bias) {
  alignas(64) float d[128], l[128], wx[128];

  // MLX's result: the fallback and the bar to beat (step 4).
  const GroupRange range = group_range(x, n);
  const GroupParams minmax = group_params(range, n_bins);
  codes_from(x, n, {minmax.scale, minmax.bias, true}, n_bins, codes);  // group_codes' values, vectorised
  scale = round_to_scale_dtype(dtype, minmax.scale);
  bias = round_to_scale_dtype(dtype, minmax.bias);
  if (!(range.max > range.min)) return;

  // 1. Clipping search, 8 candidates per pass; lanes past the last candidate repeat it and
  // are never read.
  Lanes8 a_x = {}, a_w = {};
  for (int j = 0; j < n; j += kSumLanes) {
    const Lanes8 v = load_lanes8(x + j);
    if constexpr (Weighted) {
      const Lanes8 weight = load_lanes8(w + j);
      const Lanes8 weighted = weight * v;
      store_lanes8(wx + j, weighted);
      a_w += weight;
      a_x += weighted;
    } else {
      a_x += v;
    }
    store_lanes8(d + j, v - range.min);
  }
  // The sums' x: w * x when weighted (the spec's wx), else x itself.
  const float* sum_x = Weighted ? wx : x;
  const float s_w = Weighted ? lane_total(a_w) : static_cast<float>(n);
  const float s_x = lane_total(a_x);
  const float span = range.max - range.min;
  constexpr int kBatches = (kSearchSteps + kSumLanes - 1) / kSumLanes;
  FitLanes fits[kBatches];
  for (int batch = 0; batch < kBatches; ++batch) {
    Lanes8 numerator;
    for (int c = 0; c < kSumLanes; ++c) {
      const int k = std::min(batch * kSumLanes + c, kSearchSteps - 1);
      numerator[c] = n_bins + (kSearchFirst + kSearchStep * static_cast<float>(k));
    }
    const Lanes8 iscale = numerator / span;
    const SearchSums sums = kSearchFirst + kSearchStep * static_cast<float>(batch * kSumLanes + kSumLanes - 1) <= 0.4f
                                ? search_sums<false, Weighted>(sum_x, w, d, n, iscale, n_bins)
                                : search_sums<true, Weighted>(sum_x, w, d, n, iscale, n_bins);
    fits[batch] = solve_fits(s_w, s_x, sums.s_l, sums.s_ll, sums.s_xl);
  }
  // The highest score, the first on ties, in candidate order; selects instead of branches,
  // which mispredicted on these data-dependent comparisons.
  bool best_valid = false;
  double best_score = 0.0;
  int best_k = 0;
  for (int k = 0; k < kSearchSteps; ++k) {
    const FitLanes& f = fits[k / kSumLanes];
    const int c = k % kSumLanes;
    const bool take = f.valid[c] && (!best_valid || f.score[c] > best_score);
    best_score = take ? f.score[c] : best_score;
    best_k = take ? k : best_k;
    best_valid = best_valid || take;
  }
  const OptimizedFit best{fits[best_k / kSumLanes].scale[best_k % kSumLanes],
                          fits[best_k / kSumLanes].bias[best_k % kSumLanes], best_score, best_valid};
  if (!best.valid) return;

  // 2.–3. Stored values, their codes, refits.
  StoredParams stored = stored_params(best.scale, best.bias, dtype);
  if (!stored.valid) return;
  codes_from(x, n, stored, n_bins, l);
  for (int refit = 0; refit < kRefits; ++refit) {
    const OptimizedFit f = fit_codes<Weighted>(sum_x, w, l, n, s_w, s_x);
    if (!f.valid) break;
    const StoredParams next = stored_params(f.scale, f.bias, dtype);
    if (!next.valid) break;
    // Converged: the same stored values give the same codes, so every further refit would
    // repeat this one (the spec's result, with less work).
    if (std::bit_cast<std::uint32_t>(next.scale) == std::bit_cast<std::uint32_t>(stored.scale) &&
        std::bit_cast<std::uint32_t>(next.bias) == std::bit_cast<std::uint32_t>(stored.bias))
      break;
    stored = next;
    codes_from(x, n, stored, n_bins, l);
  }

  // 4. The lower squared error wins; min/max on ties.
  if (squared_error<Weighted>(x, w, l, n, stored.scale, stored.bias) <
      squared_error<Weighted>(x, w, codes, n, scale, bias)) {
    scale = stored.scale;
    bias = stored.bias;
    for (int i = 0; i < n; ++i) codes[i] = l[i];
  }
}

// Uniform (column_weights null) or weighted, as the caller has them.
inline void optimized_group(const float* x, const float* column_weights, int n, float n_bins, DType dtype,
                            float* codes, float& scale, float& bias) {
  if (column_weights != nullptr)
    optimized_group<true>(x, column_weights, n, n_bins, dtype, codes, scale, bias);
  else
    optimized_group<false>(x, nullptr, n, n_bins, dtype, codes, scale, bias);
}

}  // namespace swan::quant::detail
