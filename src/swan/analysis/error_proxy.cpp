#include "swan/analysis/error_proxy.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace swan::analysis {
namespace {

// Squared reconstruction error of one (zero-padded) group, float32 arithmetic as torch does it.
double group_squared_error(const float* group, std::int64_t n) {
  constexpr float kLevels = float((1 << kErrorProxyBits) - 1);
  float lo = group[0], hi = group[0];
  for (std::int64_t i = 1; i < n; ++i) {
    lo = std::min(lo, group[i]);
    hi = std::max(hi, group[i]);
  }
  const float scale = std::max((hi - lo) / kLevels, 1e-12f);
  double squared = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    // nearbyint honours the default round-to-nearest-even mode, like torch.round.
    const float q = std::clamp(std::nearbyint((group[i] - lo) / scale), 0.0f, kLevels);
    const float restored = q * scale + lo;
    const float diff = restored - group[i];
    squared += static_cast<double>(diff) * diff;
  }
  return squared;
}

}  // namespace

ErrorProxyResult quantization_error_proxy(const MatrixView& t) {
  ErrorProxyResult result;
  const std::int64_t g = kErrorProxyGroupSize;
  result.pad_cols = (g - t.cols % g) % g;
  const std::int64_t padded_cols = t.cols + result.pad_cols;
  std::array<float, kErrorProxyGroupSize> group{};
  double squared_error = 0.0, squared_value = 0.0;
  for (std::int64_t r = 0; r < t.rows; ++r) {
    const float* row = t.row(r);
    for (std::int64_t c0 = 0; c0 < padded_cols; c0 += g) {
      const std::int64_t valid = std::min(g, t.cols - c0);
      std::fill(group.begin(), group.end(), 0.0f);
      std::copy(row + c0, row + c0 + valid, group.begin());
      squared_error += group_squared_error(group.data(), g);
      for (std::int64_t i = 0; i < valid; ++i) squared_value += static_cast<double>(group[i]) * group[i];
    }
  }
  const double count = static_cast<double>(t.rows) * static_cast<double>(padded_cols);
  if (count == 0) return result;
  result.rmse = std::sqrt(squared_error / count);
  result.rms = std::sqrt(squared_value / count);
  if (result.rms >= 1e-12) result.nrmse = result.rmse / result.rms;
  return result;
}

}  // namespace swan::analysis
