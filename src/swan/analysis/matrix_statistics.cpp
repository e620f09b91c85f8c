#include "swan/analysis/matrix_statistics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#ifdef __AVX__
#include <immintrin.h>
#endif

namespace swan::analysis {
namespace {

// Eight float32 and four float64 lanes (GCC/Clang vector types: one AVX register each).
// Their operators act lane by lane with IEEE semantics, and the build forbids contraction,
// so each lane rounds exactly as the scalar reference does.
typedef float F8 __attribute__((vector_size(32)));
typedef double D4 __attribute__((vector_size(32)));

F8 load(const float* p) {
  F8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
F8 splat(float x) { return F8{} + x; }
F8 min(F8 a, F8 b) { return a < b ? a : b; }
F8 max(F8 a, F8 b) { return a > b ? a : b; }
D4 low_half(F8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), D4); }
D4 high_half(F8 v) { return __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), D4); }
double sum(D4 v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// Round half to even, like torch.round and nearbyint in the default rounding mode.
F8 round_even(F8 v) {
#ifdef __AVX__
  return reinterpret_cast<F8>(_mm256_round_ps(reinterpret_cast<__m256>(v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  for (int i = 0; i < 8; ++i) v[i] = std::nearbyint(v[i]);
  return v;
#endif
}

// Sums of one row band's powers of (x - pivot), pivot near the band's mean.
struct BandMoments {
  double count = 0.0, pivot = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
};

struct MomentLanes {
  D4 s1[2]{}, s2[2]{}, s3[2]{}, s4[2]{};

  void add(F8 x, double pivot) {
    const D4 halves[2] = {low_half(x), high_half(x)};
    for (int h = 0; h < 2; ++h) {
      const D4 d = halves[h] - pivot, d2 = d * d;
      s1[h] += d;
      s2[h] += d2;
      s3[h] += d2 * d;
      s4[h] += d2 * d2;
    }
  }
  void add(float x, double pivot) {  // a tail element, into lane 0
    const double d = static_cast<double>(x) - pivot, d2 = d * d;
    s1[0][0] += d;
    s2[0][0] += d2;
    s3[0][0] += d2 * d;
    s4[0][0] += d2 * d2;
  }
};

constexpr float kLevels = float((1 << kErrorProxyBits) - 1);

// One full group of 128: its min and max, and the squared 4-bit reconstruction error with
// per-element float32 arithmetic exactly as error_proxy.cpp (and torch) computes it.
void quantize_group(const float* g, float& lo, float& hi, D4& squared_error) {
  static_assert(kErrorProxyGroupSize % 8 == 0);
  F8 lo8 = load(g), hi8 = lo8;
  for (int i = 8; i < kErrorProxyGroupSize; i += 8) {
    const F8 x = load(g + i);
    lo8 = min(lo8, x);
    hi8 = max(hi8, x);
  }
  lo = lo8[0];
  hi = hi8[0];
  for (int j = 1; j < 8; ++j) {
    lo = std::min(lo, lo8[j]);
    hi = std::max(hi, hi8[j]);
  }
  const float scale = std::max((hi - lo) / kLevels, 1e-12f);
  const F8 lo_v = splat(lo), scale_v = splat(scale), zero = splat(0.0f), top = splat(kLevels);
  for (int i = 0; i < kErrorProxyGroupSize; i += 8) {
    const F8 x = load(g + i);
    const F8 q = min(max(round_even((x - lo_v) / scale_v), zero), top);
    const F8 diff = (q * scale_v + lo_v) - x;
    const D4 d_lo = low_half(diff), d_hi = high_half(diff);
    squared_error += d_lo * d_lo + d_hi * d_hi;
  }
}

}  // namespace

MatrixStatistics matrix_statistics(const MatrixView& t) {
  MatrixStatistics out;
  const std::size_t n = t.size();
  const std::int64_t g = kErrorProxyGroupSize;
  out.error_proxy.pad_cols = (g - t.cols % g) % g;
  if (n == 0) return out;

  // One sweep: each group's error proxy and its elements' moments about a pivot close to the
  // mean (the first row's mean, then the mean of the bands so far), combined exactly at the
  // end. Bands of rows keep the group loop and the moment loop in L1/L2 together.
  const std::int64_t band_rows = std::max<std::int64_t>(1, 32768 / t.cols);
  std::vector<BandMoments> bands;
  bands.reserve(static_cast<std::size_t>((t.rows + band_rows - 1) / band_rows));
  D4 squared_error{};
  float lo = t.data[0], hi = t.data[0];
  std::array<float, kErrorProxyGroupSize> padded{};
  double pivot = 0.0;
  for (std::int64_t c = 0; c < t.cols; ++c) pivot += t.data[c];
  pivot /= static_cast<double>(t.cols);
  double count_so_far = 0.0, total_so_far = 0.0;

  for (std::int64_t r0 = 0; r0 < t.rows; r0 += band_rows) {
    const std::int64_t rows = std::min(band_rows, t.rows - r0);
    MomentLanes lanes;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = t.row(r0 + r);
      for (std::int64_t c0 = 0; c0 < t.cols; c0 += g) {
        float group_lo, group_hi;
        if (c0 + g <= t.cols) {
          quantize_group(row + c0, group_lo, group_hi, squared_error);
          for (std::int64_t i = 0; i < g; i += 8) lanes.add(load(row + c0 + i), pivot);
        } else {  // zero-padded tail group: the zeros join the group's min/max and error only
          std::fill(padded.begin(), padded.end(), 0.0f);
          std::copy(row + c0, row + t.cols, padded.begin());
          quantize_group(padded.data(), group_lo, group_hi, squared_error);
          group_lo = group_hi = row[c0];
          for (std::int64_t c = c0; c < t.cols; ++c) {
            group_lo = std::min(group_lo, row[c]);
            group_hi = std::max(group_hi, row[c]);
            lanes.add(row[c], pivot);
          }
        }
        lo = std::min(lo, group_lo);
        hi = std::max(hi, group_hi);
      }
    }
    BandMoments m;
    m.count = static_cast<double>(rows * t.cols);
    m.pivot = pivot;
    m.s1 = sum(lanes.s1[0] + lanes.s1[1]);
    m.s2 = sum(lanes.s2[0] + lanes.s2[1]);
    m.s3 = sum(lanes.s3[0] + lanes.s3[1]);
    m.s4 = sum(lanes.s4[0] + lanes.s4[1]);
    bands.push_back(m);
    count_so_far += m.count;
    total_so_far += m.count * m.pivot + m.s1;
    pivot = total_so_far / count_so_far;
  }

  // Shift every band's sums to the global mean: with delta = pivot - mean,
  // sum (x - mean)^k = sum over j of C(k, j) delta^(k-j) s_j (s_0 = count); and
  // sum x^2 = s2 + 2 pivot s1 + count pivot^2.
  const double count = static_cast<double>(n);
  const double mean = total_so_far / count;
  double m2 = 0.0, m4 = 0.0, sum_squares = 0.0;
  for (const BandMoments& b : bands) {
    const double d = b.pivot - mean, d2 = d * d;
    m2 += b.s2 + 2.0 * d * b.s1 + b.count * d2;
    m4 += b.s4 + 4.0 * d * b.s3 + 6.0 * d2 * b.s2 + 4.0 * d2 * d * b.s1 + b.count * d2 * d2;
    sum_squares += b.s2 + 2.0 * b.pivot * b.s1 + b.count * b.pivot * b.pivot;
  }
  out.range = static_cast<double>(hi - lo);  // float32 subtraction, as torch does
  out.rms = std::sqrt(sum_squares / count);

  const double padded_count = static_cast<double>(t.rows) * static_cast<double>(t.cols + out.error_proxy.pad_cols);
  out.error_proxy.rmse = std::sqrt(sum(squared_error) / padded_count);
  out.error_proxy.rms = std::sqrt(sum_squares / padded_count);
  if (out.error_proxy.rms >= 1e-12) out.error_proxy.nrmse = out.error_proxy.rmse / out.error_proxy.rms;

  if (n < 4) return out;
  m2 /= count;
  m4 /= count;
  out.kurtosis.variance = m2;
  if (m2 >= 1e-12) out.kurtosis.excess_kurtosis = m4 / (m2 * m2) - 3.0;  // guard as kurtosis.cpp
  return out;
}

}  // namespace swan::analysis
