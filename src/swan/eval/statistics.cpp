#include "swan/eval/statistics.h"

#include <algorithm>
#include <cmath>

#include "swan/core/error.h"

namespace swan::eval {

double RunningSums::variance_of_mean() const {
  if (count < 2) return 0.0;
  const double n = static_cast<double>(count);
  const double m = sum / n;
  return (sum_squares / n - m * m) / (n - 1);
}

double RunningSums::standard_error() const {
  const double variance = variance_of_mean();
  return variance > 0 ? std::sqrt(variance) : 0.0;
}

double covariance_of_means(double sum_a, double sum_b, double sum_ab, std::size_t count) {
  if (count < 2) return 0.0;
  const double n = static_cast<double>(count);
  return (sum_ab / n - (sum_a / n) * (sum_b / n)) / (n - 1);
}

double paired_difference_standard_error(double variance_of_mean_a, double variance_of_mean_b, double covariance) {
  const double variance = variance_of_mean_a + variance_of_mean_b - 2.0 * covariance;
  return variance > 0 ? std::sqrt(variance) : 0.0;
}

double percentile(std::span<const double> sorted, double fraction) {
  if (sorted.empty()) fail("percentile of an empty set of values (nothing was scored)");
  if (fraction <= 0) return sorted.front();
  if (fraction >= 1) return sorted.back();
  const double position = fraction * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(position);
  const double weight = position - static_cast<double>(below);
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return (1 - weight) * sorted[below] + weight * sorted[above];
}

double median(std::span<const double> sorted) {
  if (sorted.empty()) fail("median of an empty set of values (nothing was scored)");
  const std::size_t n = sorted.size();
  return n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

double proportion_standard_error(double p, std::size_t count) {
  if (count < 2) return 0.0;
  const double variance = p * (1 - p) / static_cast<double>(count - 1);
  return variance > 0 ? std::sqrt(variance) : 0.0;
}

}  // namespace swan::eval
