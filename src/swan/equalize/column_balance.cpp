// Sinkhorn-style column balancing; see column_balance.h.
#include "swan/equalize/column_balance.h"

#include <algorithm>
#include <cmath>

#include "swan/core/error.h"

namespace swan::equalize {

std::vector<float> balance_columns(std::span<const MatrixValues> matrices, std::size_t channels,
                                   const std::function<std::size_t(std::size_t)>& column_to_factor,
                                   const BalanceRule& rule) {
  std::vector<std::vector<std::size_t>> factor_of(matrices.size());
  for (std::size_t m = 0; m < matrices.size(); ++m) {
    SWAN_CHECK(matrices[m].values.size() == matrices[m].rows * matrices[m].cols, "matrix {} is not rows x cols", m);
    factor_of[m].resize(matrices[m].cols);
    for (std::size_t j = 0; j < matrices[m].cols; ++j) {
      factor_of[m][j] = column_to_factor(j);
      SWAN_CHECK(factor_of[m][j] < channels, "column {} maps past {} factors", j, channels);
    }
  }
  std::vector<double> c(channels, 1.0);
  std::vector<std::vector<double>> r(matrices.size());
  for (std::size_t m = 0; m < matrices.size(); ++m) r[m].assign(matrices[m].rows, 1.0);
  std::vector<double> sum(channels), count(channels);
  for (int it = 0; it < rule.iterations; ++it) {
    for (std::size_t m = 0; m < matrices.size(); ++m) {
      const auto& w = matrices[m];
      for (std::size_t i = 0; i < w.rows; ++i) {
        double s = 0.0;
        for (std::size_t j = 0; j < w.cols; ++j) {
          const double v = w.values[i * w.cols + j] * c[factor_of[m][j]];
          s += v * v;
        }
        r[m][i] = s > 0.0 ? 1.0 / std::sqrt(s / static_cast<double>(w.cols)) : 1.0;
      }
    }
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0.0);
    for (std::size_t m = 0; m < matrices.size(); ++m) {
      const auto& w = matrices[m];
      for (std::size_t i = 0; i < w.rows; ++i)
        for (std::size_t j = 0; j < w.cols; ++j) {
          const std::size_t k = factor_of[m][j];
          const double v = w.values[i * w.cols + j] * r[m][i] * c[k];
          sum[k] += v * v;
          count[k] += 1.0;
        }
    }
    for (std::size_t k = 0; k < channels; ++k)
      if (sum[k] > 0.0) c[k] /= std::sqrt(sum[k] / count[k]);
  }
  // Geometric mean over the channels that carry any weight (the others stay 1).
  double log_sum = 0.0;
  std::size_t live = 0;
  for (std::size_t k = 0; k < channels; ++k)
    if (sum[k] > 0.0) {
      log_sum += std::log2(c[k]);
      ++live;
    }
  const double log_mean = live ? log_sum / static_cast<double>(live) : 0.0;
  const double limit = rule.max_exponent;
  std::vector<float> factors(channels, 1.0f);
  for (std::size_t k = 0; k < channels; ++k)
    if (sum[k] > 0.0)
      factors[k] = static_cast<float>(std::exp2(std::clamp(rule.strength * (std::log2(c[k]) - log_mean), -limit, limit)));
  return factors;
}

}  // namespace swan::equalize
