// Lane-parallel Q4_K / Q5_K / Q6_K: 8 sub-block fits of a super-block run side by side, one
// lane each, so every loop body is 8 independent copies of the reference's scalar step and
// the compiler vectorises across lanes (AVX2: one instruction per step for all 8). Each
// lane performs exactly the reference's float operations in the reference's order, and
// branches become per-lane selects, so the bytes are identical to ggml_reference.cpp's
// (tests compare them). The fit is ~95 % of Q4_K's time; the rest is shared code.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "swan/quant/ggml_blocks.h"

namespace swan::quant::detail {
namespace {

constexpr int kLanes = 8;   // sub-blocks per super-block
constexpr int kLength = 32;  // elements per sub-block

using Lanes = std::array<float, kLanes>;

// Eight float / int lanes in GCC/Clang vector types: the arithmetic operators act lane by
// lane with IEEE semantics, so each lane computes exactly what the scalar code would.
typedef float F8 __attribute__((vector_size(32)));
typedef int I8 __attribute__((vector_size(32)));

F8 load(const Lanes& a) {
  F8 v;
  std::memcpy(&v, a.data(), sizeof(v));
  return v;
}
F8 splat(float f) { return F8{} + f; }
I8 splat_int(int i) { return I8{} + i; }
// mask lanes are all ones or all zeros (vector comparison results).
F8 select(I8 mask, F8 a, F8 b) { return reinterpret_cast<F8>((mask & reinterpret_cast<I8>(a)) | (~mask & reinterpret_cast<I8>(b))); }
I8 select(I8 mask, I8 a, I8 b) { return (mask & a) | (~mask & b); }
F8 abs(F8 v) { return reinterpret_cast<F8>(reinterpret_cast<I8>(v) & 0x7fffffff); }
I8 nearest(F8 v) { return (reinterpret_cast<I8>(v + 12582912.0f) & 0x007fffff) - 0x00400000; }
I8 clamp(I8 q, int hi) {
  q = select(q < 0, splat_int(0), q);
  return select(q > hi, splat_int(hi), q);
}
F8 to_float(I8 q) { return __builtin_convertvector(q, F8); }

// x[i] = element i of the 8 sub-blocks (lane = sub-block); likewise weights. The same steps
// as fit_asymmetric in ggml_reference.cpp, per lane.
void fit_asymmetric_lanes(const F8 (&x)[kLength], const F8 (&w)[kLength], int nmax, AsymmetricSearch search,
                          I8 (&codes)[kLength], Lanes& scale_out, Lanes& min_out) {
  const float fnmax = static_cast<float>(nmax);
  F8 min = x[0], max = x[0], sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < kLength; ++i) {
    min = select(x[i] < min, x[i], min);
    max = select(x[i] > max, x[i], max);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  min = select(min > 0.0f, splat(0.0f), min);
  const I8 flat = max == min;
  const F8 range = select(flat, splat(1.0f), max - min);  // flat lanes are overwritten at the end
  F8 iscale = fnmax / range;
  F8 scale = 1.0f / iscale;
  F8 best_error = splat(0.0f);
  auto error_of = [&](F8 diff) { return search.absolute_error ? abs(diff) : diff * diff; };
  for (int i = 0; i < kLength; ++i) {
    codes[i] = clamp(nearest(iscale * (x[i] - min)), nmax);
    best_error += w[i] * error_of(scale * to_float(codes[i]) + min - x[i]);
  }
  I8 trial[kLength];
  for (int step = 0; step <= search.steps; ++step) {
    // `min` moves when a trial wins, as in the reference; flat lanes divide by 1, unused.
    iscale = (search.rmin + search.rdelta * static_cast<float>(step) + fnmax) / select(flat, splat(1.0f), max - min);
    F8 sum_l = splat(0.0f), sum_l2 = splat(0.0f), sum_xl = splat(0.0f);
    for (int i = 0; i < kLength; ++i) {
      trial[i] = clamp(nearest(iscale * (x[i] - min)), nmax);
      const F8 fq = to_float(trial[i]);
      sum_l += w[i] * fq;
      sum_l2 += w[i] * fq * fq;
      sum_xl += w[i] * fq * x[i];
    }
    const F8 det = sum_w * sum_l2 - sum_l * sum_l;
    const I8 valid = (det > 0.0f) & ~flat;
    const F8 safe_det = select(valid, det, splat(1.0f));
    F8 this_scale = (sum_w * sum_xl - sum_x * sum_l) / safe_det;
    F8 this_min = (sum_l2 * sum_x - sum_l * sum_xl) / safe_det;
    const I8 clip = this_min > 0.0f;
    this_scale = select(clip, sum_xl / select(sum_l2 != 0.0f, sum_l2, splat(1.0f)), this_scale);
    this_min = select(clip, splat(0.0f), this_min);
    F8 error = splat(0.0f);
    for (int i = 0; i < kLength; ++i) error += w[i] * error_of(this_scale * to_float(trial[i]) + this_min - x[i]);
    const I8 win = valid & (error < best_error);
    best_error = select(win, error, best_error);
    scale = select(win, this_scale, scale);
    min = select(win, this_min, min);
    for (int i = 0; i < kLength; ++i) codes[i] = select(win, trial[i], codes[i]);
  }
  for (int i = 0; i < kLength; ++i) codes[i] = select(flat, splat_int(0), codes[i]);
  scale = select(flat, splat(0.0f), scale);
  const F8 negative_min = -min;
  std::memcpy(scale_out.data(), &scale, sizeof(scale));
  std::memcpy(min_out.data(), &negative_min, sizeof(negative_min));
}

// ggml's make_qx_quants with w = x² (rmse_type 1) for 8 sub-blocks of 16 at once; codes
// in [0, 2 * nmax). The same steps as fit_symmetric in ggml_reference.cpp, per lane.
void fit_symmetric_lanes(const F8 (&x)[16], int nmax, I8 (&codes)[16], F8& scale_out) {
  const float fnmax = static_cast<float>(nmax);
  F8 max = splat(0.0f), amax = splat(0.0f);
  for (int i = 0; i < 16; ++i) {
    const F8 ax = abs(x[i]);
    const I8 larger = ax > amax;
    amax = select(larger, ax, amax);
    max = select(larger, x[i], max);
  }
  const I8 zero = amax < 1e-15f;
  const F8 safe_max = select(zero, splat(1.0f), max);
  F8 iscale = -fnmax / safe_max;
  F8 sumlx = splat(0.0f), suml2 = splat(0.0f);
  for (int i = 0; i < 16; ++i) {
    const I8 l = select(nearest(iscale * x[i]) < -nmax, splat_int(-nmax), nearest(iscale * x[i]));
    const I8 q = select(l > nmax - 1, splat_int(nmax - 1), l);
    codes[i] = q + nmax;
    const F8 w = x[i] * x[i];
    sumlx += w * x[i] * to_float(q);
    suml2 += w * to_float(q) * to_float(q);
  }
  F8 scale = select(suml2 != 0.0f, sumlx / select(suml2 != 0.0f, suml2, splat(1.0f)), splat(0.0f));
  F8 best = scale * sumlx;
  I8 trial[16];
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(fnmax + 0.1f * static_cast<float>(is)) / safe_max;
    sumlx = splat(0.0f);
    suml2 = splat(0.0f);
    for (int i = 0; i < 16; ++i) {
      const I8 l = select(nearest(iscale * x[i]) < -nmax, splat_int(-nmax), nearest(iscale * x[i]));
      const I8 q = select(l > nmax - 1, splat_int(nmax - 1), l);
      trial[i] = q + nmax;
      const F8 w = x[i] * x[i];
      sumlx += w * x[i] * to_float(q);
      suml2 += w * to_float(q) * to_float(q);
    }
    const I8 win = (suml2 > 0.0f) & (sumlx * sumlx > best * suml2) & ~zero;
    for (int i = 0; i < 16; ++i) codes[i] = select(win, trial[i], codes[i]);
    scale = select(win, sumlx / select(win, suml2, splat(1.0f)), scale);
    best = select(win, scale * sumlx, best);
  }
  for (int i = 0; i < 16; ++i) codes[i] = select(zero, splat_int(0), codes[i]);
  scale_out = select(zero, splat(0.0f), scale);
}

}  // namespace

void quantize_row_q6_k_fast(const float* x, std::size_t n, std::byte* out) {
  for (std::size_t b = 0; b < n / 256; ++b) {
    const float* xb = x + 256 * b;
    std::array<float, 16> scales;
    std::array<std::int8_t, 256> codes;
    for (int half = 0; half < 2; ++half) {  // sub-blocks 8 * half .. 8 * half + 7
      F8 xt[16];
      Lanes column;
      for (int i = 0; i < 16; ++i) {
        for (int l = 0; l < kLanes; ++l) column[static_cast<std::size_t>(l)] = xb[16 * (8 * half + l) + i];
        xt[i] = load(column);
      }
      I8 ct[16];
      F8 scale;
      fit_symmetric_lanes(xt, 32, ct, scale);
      std::memcpy(scales.data() + 8 * half, &scale, sizeof(scale));
      for (int i = 0; i < 16; ++i) {
        std::array<int, kLanes> lanes;
        std::memcpy(lanes.data(), &ct[i], sizeof(ct[i]));
        for (int l = 0; l < kLanes; ++l)
          codes[static_cast<std::size_t>(16 * (8 * half + l) + i)] = static_cast<std::int8_t>(lanes[static_cast<std::size_t>(l)]);
      }
    }
    encode_q6_k(xb, scales.data(), codes.data(), out + 210 * b);
  }
}

void quantize_row_q45_k_fast(const float* x, std::size_t n, std::byte* out, int bits) {
  const int nmax = (1 << bits) - 1;
  const AsymmetricSearch search = q45_k_search(bits);
  const std::size_t block_bytes = bits == 4 ? 144 : 176;
  for (std::size_t b = 0; b < n / 256; ++b) {
    const float* xb = x + 256 * b;
    F8 xt[kLength], wt[kLength];
    Lanes column;
    F8 sum_x2 = splat(0.0f);
    for (int i = 0; i < kLength; ++i) {
      for (int l = 0; l < kLanes; ++l) column[static_cast<std::size_t>(l)] = xb[kLength * l + i];
      xt[i] = load(column);
      sum_x2 += xt[i] * xt[i];
    }
    Lanes sums, av_x;
    std::memcpy(sums.data(), &sum_x2, sizeof(sum_x2));
    for (std::size_t l = 0; l < kLanes; ++l) av_x[l] = std::sqrt(sums[l] / 32.0f);
    const F8 av = load(av_x);
    for (int i = 0; i < kLength; ++i) wt[i] = av + abs(xt[i]);
    I8 ct[kLength];
    Lanes scales, mins;
    fit_asymmetric_lanes(xt, wt, nmax, search, ct, scales, mins);
    std::array<std::uint8_t, 256> codes;
    for (int i = 0; i < kLength; ++i) {
      std::array<int, kLanes> lanes;
      std::memcpy(lanes.data(), &ct[i], sizeof(ct[i]));
      for (int l = 0; l < kLanes; ++l) codes[static_cast<std::size_t>(kLength * l + i)] = static_cast<std::uint8_t>(lanes[static_cast<std::size_t>(l)]);
    }
    encode_q45_k(xb, scales.data(), mins.data(), codes.data(), out + block_bytes * b, bits);
  }
}

}  // namespace swan::quant::detail
