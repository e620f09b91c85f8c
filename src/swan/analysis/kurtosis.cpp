#include "swan/analysis/kurtosis.h"

namespace swan::analysis {

KurtosisResult excess_kurtosis(const MatrixView& t) {
  KurtosisResult result;
  const std::size_t n = t.size();
  if (n < 4) return result;
  const float* x = t.data;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(n);
  double m2 = 0.0, m4 = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    const double d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= static_cast<double>(n);
  m4 /= static_cast<double>(n);
  result.variance = m2;
  // The reference's guard is absolute (var < 1e-12), so it depends on the weights' scale.
  if (m2 < 1e-12) return result;
  result.excess_kurtosis = m4 / (m2 * m2) - 3.0;
  return result;
}

}  // namespace swan::analysis
