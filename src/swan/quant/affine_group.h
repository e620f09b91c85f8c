// Internal to quant/: the per-group steps of the fast affine kernels (quantize and the
// error measure share them). Each must give the same bits as quantize_affine_reference;
// the tests compare them on every bit width and group size.
//
// Why these loops vectorise without fast-math: the min/max reduction keeps 16 explicit
// lanes (two 8-lane vector-extension values), so no reassociation is needed, and the
// order of a min/max reduction cannot change its result for finite inputs except for the
// sign of a zero, which the algorithm never observes (|mn| vs |mx| compares magnitudes,
// and a zero edge always takes the q0 == 0 path).
// The code loop is element-wise: a division, rint (vroundps) and two clamps per element.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "swan/core/dtype.h"
#include "swan/core/float_formats.h"

namespace swan::quant::detail {

inline constexpr int kLanes = 16;

struct GroupRange {
  float min;
  float max;
};

// GCC/Clang vector extension: 8 floats, one AVX2 register (two NEON ones). Used where the auto-vectoriser
// would not turn a lane-wise reduction into vector min/max. Two of them make the 16 lanes:
// a 16-float vector type would need AVX-512, and without it GCC lowers its selects to
// scalar code (measured: the range then took ~40 % of the min/max kernel's time).
typedef float Lanes8 __attribute__((vector_size(32)));

inline Lanes8 load_lanes8(const float* p) {
  Lanes8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// group_size is a multiple of kLanes.
inline GroupRange group_range(const float* group, int group_size) {
  constexpr int kHalf = kLanes / 2;
  Lanes8 mx_low = load_lanes8(group), mx_high = load_lanes8(group + kHalf);
  Lanes8 mn_low = mx_low, mn_high = mx_high;
  for (int j = kLanes; j < group_size; j += kLanes) {
    const Lanes8 low = load_lanes8(group + j), high = load_lanes8(group + j + kHalf);
    mx_low = low > mx_low ? low : mx_low;
    mx_high = high > mx_high ? high : mx_high;
    mn_low = low < mn_low ? low : mn_low;
    mn_high = high < mn_high ? high : mn_high;
  }
  const Lanes8 mx = mx_high > mx_low ? mx_high : mx_low;
  const Lanes8 mn = mn_high < mn_low ? mn_high : mn_low;
  GroupRange range{mn[0], mx[0]};
  for (int l = 1; l < kHalf; ++l) {
    range.max = mx[l] > range.max ? mx[l] : range.max;
    range.min = mn[l] < range.min ? mn[l] : range.min;
  }
  return range;
}

struct GroupParams {
  float scale;  // unrounded float32: the codes are computed with these
  float bias;
};

// Spec §1.2 steps 2–5.
inline GroupParams group_params(GroupRange range, float n_bins) {
  const float eps = 1e-7f;
  float s = (range.max - range.min) / n_bins;
  s = s < eps ? eps : s;
  const bool negative_edge = std::fabs(range.min) > std::fabs(range.max);
  const float edge = negative_edge ? range.min : range.max;
  if (!negative_edge) s = -s;
  const float q0 = std::rint(edge / s);
  if (q0 != 0.0f) return {edge / q0, edge};
  return {s, 0.0f};
}

// Spec §1.3: clamp(rint((x - bias) / scale), 0, n_bins).
template <typename Code>
inline void group_codes(const float* group, int group_size, GroupParams params, float n_bins, Code* codes) {
  const float scale = params.scale;
  const float bias = params.bias;
  for (int j = 0; j < group_size; ++j) {
    float q = std::rint((group[j] - bias) / scale);
    q = q < 0.0f ? 0.0f : q;
    q = q > n_bins ? n_bins : q;
    codes[j] = static_cast<Code>(static_cast<std::int32_t>(q));
  }
}

// Rounds a float32 to the scale dtype (F16, BF16 or F32), returned as float32.
inline float round_to_scale_dtype(DType dtype, float value) {
  if (dtype == DType::F16) return fp16_to_float(float_to_fp16(value));
  if (dtype == DType::BF16) return bf16_to_float(float_to_bf16(value));
  return value;
}

}  // namespace swan::quant::detail
