// Internal to quant/: one group of optimized-scale quantization (affine_optimized.h, steps
// 1–4) for the fast kernels (quantize and the error measure share it). Bitwise identical
// to quantize_affine_optimized_reference: every sum is a lane sum over 8 lanes (term i in
// lane i mod 8, lanes added pairwise), which the loops below state directly, so the
// compiler vectorises them without reassociating anything.
//
// Why it is fast enough: the search (kSearchSteps candidates) dominates; per candidate and
// element it is one multiply, a rounding (two adds), a clamp and three multiply-adds on
// 8-lane vectors, with x - min computed once per group; the fit costs one division. Eight
// lanes, not sixteen, because for a 64-weight group the reduction of the sums and the fit,
// not the element loop, bound the search.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "swan/core/dtype.h"
#include "swan/quant/affine_group.h"
#include "swan/quant/affine_optimized.h"

namespace swan::quant::detail {

inline constexpr int kSumLanes = 8;

// 8 floats: one AVX2 register, two NEON ones.
typedef float Lanes8 __attribute__((vector_size(32)));

inline Lanes8 load_lanes8(const float* p) {
  Lanes8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The spec's pairwise order: l + (l + 4), then l + (l + 2), then the two left.
inline float lane_total(const float* lanes) {
  const float f0 = lanes[0] + lanes[4], f1 = lanes[1] + lanes[5], f2 = lanes[2] + lanes[6], f3 = lanes[3] + lanes[7];
  return (f0 + f2) + (f1 + f3);
}

inline float lane_total(Lanes8 lanes) {
  float array[kSumLanes];
  std::memcpy(array, &lanes, sizeof array);
  return lane_total(array);
}

// clamp(rint(d * iscale), 0, n_bins) for d >= +0 (x - min), written on vectors because GCC
// does not vectorise the scalar form inside the search loop. For 0 <= v < 2^23,
// (v + 2^23) - 2^23 is rint(v) exactly (round to nearest even), and v >= 0 needs no lower clamp.
inline Lanes8 search_codes(Lanes8 d, float iscale, float n_bins) {
  constexpr float kRoundingShift = 8388608.0f;  // 2^23
  const Lanes8 v = d * iscale;
  const Lanes8 q = (v + kRoundingShift) - kRoundingShift;
  return q > n_bins ? Lanes8{} + n_bins : q;
}

inline float clamp_code(float q, float n_bins) {
  q = q < 0.0f ? 0.0f : q;
  return q > n_bins ? n_bins : q;
}

struct OptimizedFit {
  double scale = 0.0;
  double bias = 0.0;
  double score = 0.0;
  bool valid = false;
};

// Least squares from the lane sums (n, sum x fixed per group), solved in float64.
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

// Fit on given codes.
inline OptimizedFit fit_codes(const float* x, const float* codes, int n, float s_x) {
  float a_l[kSumLanes] = {}, a_ll[kSumLanes] = {}, a_xl[kSumLanes] = {};
  for (int j = 0; j < n; j += kSumLanes) {
    for (int t = 0; t < kSumLanes; ++t) {
      const float l = codes[j + t];
      a_l[t] += l;
      a_ll[t] += l * l;
      a_xl[t] += x[j + t] * l;
    }
  }
  return solve_fit(static_cast<float>(n), s_x, lane_total(a_l), lane_total(a_ll), lane_total(a_xl));
}

struct StoredParams {
  float scale;
  float bias;
  bool valid;
};

inline StoredParams stored_params(const OptimizedFit& f, DType dtype) {
  const float scale = round_to_scale_dtype(dtype, static_cast<float>(f.scale));
  const float bias = round_to_scale_dtype(dtype, static_cast<float>(f.bias));
  return {scale, bias, std::isfinite(scale) && std::isfinite(bias) && scale > 0.0f};
}

inline void codes_from(const float* x, int n, StoredParams p, float n_bins, float* codes) {
  for (int i = 0; i < n; ++i) codes[i] = clamp_code(std::rint((x[i] - p.bias) / p.scale), n_bins);
}

// sum (fl(fl(q * scale) + bias) - x)^2 as lane sums.
inline float squared_error(const float* x, const float* codes, int n, float scale, float bias) {
  float a[kSumLanes] = {};
  for (int j = 0; j < n; j += kSumLanes) {
    for (int t = 0; t < kSumLanes; ++t) {
      const float product = codes[j + t] * scale;
      const float d = (product + bias) - x[j + t];
      a[t] += d * d;
    }
  }
  return lane_total(a);
}

// Quantizes one group (n a multiple of 16, at most 128): the stored (dtype-rounded)
// scale and bias and the codes, as floats in [0, n_bins].
inline void optimized_group(const float* x, int n, float n_bins, DType dtype, float* codes, float& scale,
                            float& bias) {
  alignas(64) float d[128], l[128];

  // MLX's result: the fallback and the bar to beat (step 4).
  const GroupRange range = group_range(x, n);
  const GroupParams minmax = group_params(range, n_bins);
  group_codes(x, n, minmax, n_bins, codes);
  scale = round_to_scale_dtype(dtype, minmax.scale);
  bias = round_to_scale_dtype(dtype, minmax.bias);
  if (!(range.max > range.min)) return;

  // 1. Clipping search.
  float a_x[kSumLanes] = {};
  for (int j = 0; j < n; j += kSumLanes)
    for (int t = 0; t < kSumLanes; ++t) a_x[t] += x[j + t];
  const float s_x = lane_total(a_x);
  for (int i = 0; i < n; ++i) d[i] = x[i] - range.min;
  const float span = range.max - range.min;
  OptimizedFit best;
  for (int k = 0; k < kSearchSteps; ++k) {
    const float iscale = (n_bins + (kSearchFirst + kSearchStep * static_cast<float>(k))) / span;
    Lanes8 a_l = {}, a_ll = {}, a_xl = {};
    for (int j = 0; j < n; j += kSumLanes) {
      const Lanes8 q = search_codes(load_lanes8(d + j), iscale, n_bins);
      a_l += q;
      a_ll += q * q;
      a_xl += load_lanes8(x + j) * q;
    }
    const OptimizedFit f = solve_fit(static_cast<float>(n), s_x, lane_total(a_l), lane_total(a_ll), lane_total(a_xl));
    if (f.valid && (!best.valid || f.score > best.score)) best = f;
  }
  if (!best.valid) return;

  // 2.–3. Stored values, their codes, refits.
  StoredParams stored = stored_params(best, dtype);
  if (!stored.valid) return;
  codes_from(x, n, stored, n_bins, l);
  for (int refit = 0; refit < kRefits; ++refit) {
    const OptimizedFit f = fit_codes(x, l, n, s_x);
    if (!f.valid) break;
    const StoredParams next = stored_params(f, dtype);
    if (!next.valid) break;
    stored = next;
    codes_from(x, n, stored, n_bins, l);
  }

  // 4. The lower squared error wins; min/max on ties.
  if (squared_error(x, l, n, stored.scale, stored.bias) < squared_error(x, codes, n, scale, bias)) {
    scale = stored.scale;
    bias = stored.bias;
    for (int i = 0; i < n; ++i) codes[i] = l[i];
  }
}

}  // namespace swan::quant::detail
