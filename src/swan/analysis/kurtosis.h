// SWAN metric 2 (spec §2.4): population excess kurtosis of all values of T,
// K = mean(d^4) / mean(d^2)^2 - 3 with d = x - mean(x). Computed in two float64 passes
// (the reference uses float32 torch reductions; they agree to ~1e-6 relative).
#pragma once

#include <optional>

#include "swan/analysis/matrix_view.h"

namespace swan::analysis {

struct KurtosisResult {
  std::optional<double> excess_kurtosis;  // empty when N < 4 or the variance is < 1e-12
  double variance = 0.0;
};

KurtosisResult excess_kurtosis(const MatrixView& t);

}  // namespace swan::analysis
