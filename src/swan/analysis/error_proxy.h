// SWAN metric 4 (spec §2.6): NRMSE of 4-bit, group-128, min-max round-to-nearest
// quantization along each row of T, exactly as the reference computes it:
//   * each row is padded with zeros to a multiple of 128 and the zeros take part in the
//     group min/max and in both means (quirk 5: 64-column tensors are half padding);
//   * scale = max((hi - lo) / 15, 1e-12), q = clamp(round_half_even((x - lo) / scale), 0, 15),
//     x' = q * scale + lo, all in float32 without FMA contraction;
//   * nrmse = sqrt(mean((x' - x)^2)) / sqrt(mean(x^2)), empty when the rms is < 1e-12.
#pragma once

#include <cstdint>
#include <optional>

#include "swan/analysis/matrix_view.h"

namespace swan::analysis {

inline constexpr int kErrorProxyBits = 4;
inline constexpr std::int64_t kErrorProxyGroupSize = 128;

struct ErrorProxyResult {
  double rmse = 0.0;                 // over rows * (cols + pad) values
  double rms = 0.0;                  // of the padded matrix
  std::optional<double> nrmse;       // rmse / rms
  std::int64_t pad_cols = 0;
};

ErrorProxyResult quantization_error_proxy(const MatrixView& t);

}  // namespace swan::analysis
