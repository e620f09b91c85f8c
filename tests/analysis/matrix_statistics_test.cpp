// The fused statistics pass against the one-metric reference functions (kurtosis.cpp,
// output_noise.cpp, error_proxy.cpp) on shapes that exercise band edges, padded tail
// groups, a large constant offset (raw-moment cancellation) and degenerate matrices.
#include "swan/analysis/matrix_statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "swan/analysis/output_noise.h"
#include "swan/analysis/random.h"

namespace swan::analysis {
namespace {

void expect_matches_reference(const std::vector<float>& v, std::int64_t rows, std::int64_t cols) {
  const MatrixView t{v.data(), rows, cols};
  const MatrixStatistics s = matrix_statistics(t);
  const KurtosisResult k = excess_kurtosis(t);
  const OutputNoiseResult o = output_noise_analytic(t);
  const ErrorProxyResult e = quantization_error_proxy(t);
  SCOPED_TRACE(testing::Message() << rows << "x" << cols);
  ASSERT_EQ(s.kurtosis.excess_kurtosis.has_value(), k.excess_kurtosis.has_value());
  if (k.excess_kurtosis) {
    EXPECT_NEAR(*s.kurtosis.excess_kurtosis, *k.excess_kurtosis, 1e-9 * std::max(1.0, std::abs(*k.excess_kurtosis)));
  }
  EXPECT_NEAR(s.kurtosis.variance, k.variance, 1e-12 * std::max(1.0, k.variance));
  EXPECT_EQ(s.range, o.range);  // min / max are order-free: exact
  EXPECT_NEAR(s.rms, o.rms, 1e-12 * o.rms);
  EXPECT_NEAR(analytic_delta(s.range, s.rms), o.delta, 1e-12 * o.delta);
  EXPECT_EQ(s.error_proxy.pad_cols, e.pad_cols);
  EXPECT_NEAR(s.error_proxy.rmse, e.rmse, 1e-12 * e.rmse);  // same per-element float32 errors
  EXPECT_NEAR(s.error_proxy.rms, e.rms, 1e-12 * e.rms);
  ASSERT_EQ(s.error_proxy.nrmse.has_value(), e.nrmse.has_value());
  if (e.nrmse) {
    EXPECT_NEAR(*s.error_proxy.nrmse, *e.nrmse, 1e-12 * *e.nrmse);
  }
}

std::vector<float> heavy_tailed(std::int64_t rows, std::int64_t cols, double offset, std::uint64_t seed) {
  Random rng(seed);
  std::vector<float> v(static_cast<std::size_t>(rows * cols));
  for (float& x : v) x = static_cast<float>(offset + 0.02 * rng.normal() / (std::abs(rng.normal()) + 0.3));
  return v;
}

TEST(MatrixStatistics, MatchesReferenceFunctions) {
  expect_matches_reference(heavy_tailed(300, 256, 0.0, 1), 300, 256);    // many bands, full groups
  expect_matches_reference(heavy_tailed(77, 200, 0.0, 2), 77, 200);      // padded tail group per row
  expect_matches_reference(heavy_tailed(40, 64, 0.0, 3), 40, 64);        // half of every group padding
  expect_matches_reference(heavy_tailed(3, 40000, 0.0, 4), 3, 40000);    // one row per band
  expect_matches_reference(heavy_tailed(129, 130, 0.0, 5), 129, 130);    // odd tails everywhere
}

TEST(MatrixStatistics, LargeOffsetKeepsKurtosis) {
  // Mean 100x the spread: raw fourth moments would cancel catastrophically.
  expect_matches_reference(heavy_tailed(200, 384, 2.0, 6), 200, 384);
}

TEST(MatrixStatistics, ConstantAndZeroMatrices) {
  const std::vector<float> constant(64 * 130, 0.25f), zero(64 * 128, 0.0f);
  expect_matches_reference(constant, 64, 130);
  expect_matches_reference(zero, 64, 128);
  EXPECT_FALSE(matrix_statistics({zero.data(), 64, 128}).kurtosis.excess_kurtosis.has_value());
  EXPECT_FALSE(matrix_statistics({zero.data(), 64, 128}).error_proxy.nrmse.has_value());
}

TEST(MatrixStatistics, PaddingDoesNotWidenRange) {
  // All values positive: the zero padding enters the group min but not max(T) - min(T).
  std::vector<float> v(4 * 100);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = 1.0f + 0.001f * static_cast<float>(i % 17);
  EXPECT_NEAR(matrix_statistics({v.data(), 4, 100}).range, 0.016, 1e-6);  // not 1.016
  expect_matches_reference(v, 4, 100);
}

}  // namespace
}  // namespace swan::analysis
