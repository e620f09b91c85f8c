// Summary statistics for evaluation results, with the conventions of llama.cpp's
// llama-perplexity so swan's numbers can be compared with its output:
//   - a mean's standard error uses the population variance over n - 1:
//       se = sqrt((Σx²/n - (Σx/n)²) / (n - 1))
//   - the covariance of two means (for a paired difference) likewise:
//       cov = (Σab/n - (Σa/n)(Σb/n)) / (n - 1)
//   - percentiles interpolate linearly between sorted neighbours at fraction·(n - 1).
// llama.cpp reports a standard error of 0 below 11 samples in its KLD mode; swan computes it
// from 2 samples on (the formula is the same wherever llama.cpp reports one).
#pragma once

#include <cstddef>
#include <span>

namespace swan::eval {

// Running Σx and Σx² of one per-token quantity (NLL, KLD, ...): memory stays constant.
struct RunningSums {
  double sum = 0.0;
  double sum_squares = 0.0;
  std::size_t count = 0;

  void add(double x) {
    sum += x;
    sum_squares += x * x;
    ++count;
  }
  double mean() const { return count ? sum / static_cast<double>(count) : 0.0; }
  // Squared standard error of mean(), (Σx²/n - mean²) / (n - 1), unclamped: rounding can make
  // it slightly negative. 0 with fewer than 2 samples.
  double variance_of_mean() const;
  // sqrt(variance_of_mean()); 0 when that is not positive.
  double standard_error() const;
};

// Covariance of the means of two paired quantities a, b given Σa, Σb, Σab over n pairs;
// 0 with fewer than 2 pairs.
double covariance_of_means(double sum_a, double sum_b, double sum_ab, std::size_t count);

// Standard error of mean(a) - mean(b) for paired samples: sqrt(var_a + var_b - 2 cov), from the
// variances of the means (not squared standard errors, so a == b gives exactly 0). Clamped at 0
// when rounding makes the radicand slightly negative.
double paired_difference_standard_error(double variance_of_mean_a, double variance_of_mean_b, double covariance);

// The value at `fraction` (0..1) of ascending `sorted` values, linearly interpolated;
// fraction ≤ 0 gives the minimum, ≥ 1 the maximum. Throws swan::Error when empty.
double percentile(std::span<const double> sorted, double fraction);
// Middle value, or the mean of the two middle values for an even count.
double median(std::span<const double> sorted);

// Standard error of a proportion p measured on n samples: sqrt(p (1 - p) / (n - 1)).
double proportion_standard_error(double p, std::size_t count);

}  // namespace swan::eval
