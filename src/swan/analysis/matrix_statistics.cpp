#include "swan/analysis/matrix_statistics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace swan::analysis {
namespace {

// Independent accumulators so the compiler can keep them in vector registers without
// reassociating one running sum (no fast-math in this project).
constexpr int kLanes = 8;
using Lanes = std::array<double, kLanes>;

double lane_sum(const Lanes& lanes) {
  double s = 0.0;
  for (const double v : lanes) s += v;
  return s;
}

// Central sums of one row band about the band's own mean.
struct BandMoments {
  double count = 0.0, mean = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
};

// Squared 4-bit reconstruction error of one full group of 128, float32 per element exactly
// as error_proxy.cpp (and torch) computes it; also the group's min and max.
void quantize_group(const float* g, float& lo, float& hi, Lanes& squared_error) {
  constexpr float kLevels = float((1 << kErrorProxyBits) - 1);
  constexpr int kWidth = 16;
  std::array<float, kWidth> lo_lanes, hi_lanes;
  for (int j = 0; j < kWidth; ++j) lo_lanes[j] = hi_lanes[j] = g[j];
  for (int i = kWidth; i < kErrorProxyGroupSize; i += kWidth)
    for (int j = 0; j < kWidth; ++j) {
      lo_lanes[j] = g[i + j] < lo_lanes[j] ? g[i + j] : lo_lanes[j];
      hi_lanes[j] = g[i + j] > hi_lanes[j] ? g[i + j] : hi_lanes[j];
    }
  lo = lo_lanes[0];
  hi = hi_lanes[0];
  for (int j = 1; j < kWidth; ++j) {
    lo = std::min(lo, lo_lanes[j]);
    hi = std::max(hi, hi_lanes[j]);
  }
  const float scale = std::max((hi - lo) / kLevels, 1e-12f);
  for (int i = 0; i < kErrorProxyGroupSize; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      float q = std::nearbyint((g[i + j] - lo) / scale);  // round half to even, like torch.round
      q = q < 0.0f ? 0.0f : (q > kLevels ? kLevels : q);
      const float diff = (q * scale + lo) - g[i + j];
      squared_error[j] += static_cast<double>(diff) * diff;
    }
}

}  // namespace

MatrixStatistics matrix_statistics(const MatrixView& t) {
  MatrixStatistics out;
  const std::size_t n = t.size();
  const std::int64_t g = kErrorProxyGroupSize;
  out.error_proxy.pad_cols = (g - t.cols % g) % g;
  if (n == 0) return out;

  // Bands of rows small enough to stay in L2 between the two sweeps over them.
  const std::int64_t band_rows = std::max<std::int64_t>(1, 32768 / t.cols);
  std::vector<BandMoments> bands;
  bands.reserve(static_cast<std::size_t>((t.rows + band_rows - 1) / band_rows));
  Lanes squared_error{}, squares{};
  float lo = t.data[0], hi = t.data[0];
  double total = 0.0;
  std::array<float, kErrorProxyGroupSize> padded{};

  for (std::int64_t r0 = 0; r0 < t.rows; r0 += band_rows) {
    const std::int64_t rows = std::min(band_rows, t.rows - r0);
    const float* band = t.row(r0);
    const std::size_t count = static_cast<std::size_t>(rows * t.cols);

    // Sweep 1: error proxy group by group (it also gives min / max), sums, squares.
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = band + r * t.cols;
      for (std::int64_t c0 = 0; c0 < t.cols; c0 += g) {
        const float* group = row + c0;
        if (c0 + g > t.cols) {  // zero-padded tail group: zeros join min/max and the error
          std::fill(padded.begin(), padded.end(), 0.0f);
          std::copy(row + c0, row + t.cols, padded.begin());
          group = padded.data();
        }
        float group_lo, group_hi;
        quantize_group(group, group_lo, group_hi, squared_error);
        if (group == padded.data()) {  // the zeros must not widen T's own range
          group_lo = group_hi = row[c0];
          for (std::int64_t c = c0; c < t.cols; ++c) {
            group_lo = std::min(group_lo, row[c]);
            group_hi = std::max(group_hi, row[c]);
          }
        }
        lo = std::min(lo, group_lo);
        hi = std::max(hi, group_hi);
      }
    }
    Lanes sum{};
    std::size_t i = 0;
    for (; i + kLanes <= count; i += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const double x = band[i + j];
        sum[j] += x;
        squares[j] += x * x;
      }
    for (; i < count; ++i) {
      const double x = band[i];
      sum[0] += x;
      squares[0] += x * x;
    }
    BandMoments m;
    m.count = static_cast<double>(count);
    const double band_sum = lane_sum(sum);
    total += band_sum;
    m.mean = band_sum / m.count;

    // Sweep 2 (band still in cache): central sums about the band mean.
    Lanes s1{}, s2{}, s3{}, s4{};
    for (i = 0; i + kLanes <= count; i += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        const double d = band[i + j] - m.mean;
        const double d2 = d * d;
        s1[j] += d;
        s2[j] += d2;
        s3[j] += d2 * d;
        s4[j] += d2 * d2;
      }
    for (; i < count; ++i) {
      const double d = band[i] - m.mean;
      const double d2 = d * d;
      s1[0] += d;
      s2[0] += d2;
      s3[0] += d2 * d;
      s4[0] += d2 * d2;
    }
    m.s1 = lane_sum(s1);
    m.s2 = lane_sum(s2);
    m.s3 = lane_sum(s3);
    m.s4 = lane_sum(s4);
    bands.push_back(m);
  }

  const double count = static_cast<double>(n);
  const double sum_squares = lane_sum(squares);
  out.range = static_cast<double>(hi - lo);  // float32 subtraction, as torch does
  out.rms = std::sqrt(sum_squares / count);

  const double padded_count = static_cast<double>(t.rows) * static_cast<double>(t.cols + out.error_proxy.pad_cols);
  out.error_proxy.rmse = std::sqrt(lane_sum(squared_error) / padded_count);
  out.error_proxy.rms = std::sqrt(sum_squares / padded_count);
  if (out.error_proxy.rms >= 1e-12) out.error_proxy.nrmse = out.error_proxy.rmse / out.error_proxy.rms;

  if (n < 4) return out;
  // Shift every band's central sums to the global mean: with delta = band mean - mean,
  // sum (x - mean)^k = sum over j of C(k, j) delta^(k-j) s_j (s_0 = count).
  const double mean = total / count;
  double m2 = 0.0, m4 = 0.0;
  for (const BandMoments& b : bands) {
    const double d = b.mean - mean, d2 = d * d;
    m2 += b.s2 + 2.0 * d * b.s1 + b.count * d2;
    m4 += b.s4 + 4.0 * d * b.s3 + 6.0 * d2 * b.s2 + 4.0 * d2 * d * b.s1 + b.count * d2 * d2;
  }
  m2 /= count;
  m4 /= count;
  out.kurtosis.variance = m2;
  if (m2 >= 1e-12) out.kurtosis.excess_kurtosis = m4 / (m2 * m2) - 3.0;  // guard as kurtosis.cpp
  return out;
}

}  // namespace swan::analysis
