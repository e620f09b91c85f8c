// Perplexity, standard errors and percentiles against hand-worked values and the textbook
// (sample-variance) formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "swan/core/error.h"
#include "swan/eval/perplexity.h"
#include "swan/eval/statistics.h"

namespace swan::eval {
namespace {

// Textbook standard error of the mean: sample standard deviation / sqrt(n).
double textbook_standard_error(const std::vector<double>& x) {
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double squares = 0;
  for (double v : x) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(x.size() - 1) / static_cast<double>(x.size()));
}

TEST(Perplexity, HandWorkedThreeTokens) {
  // NLLs 1, 2, 3: mean 2 → PPL e²; sample variance 1 → se(mean) 1/√3 → PPL stderr e²/√3.
  PerplexityAccumulator accumulator;
  for (double nll : {1.0, 2.0, 3.0}) accumulator.add(nll);
  const auto r = accumulator.result();
  EXPECT_EQ(r.tokens_scored, 3u);
  EXPECT_NEAR(r.mean_nll, 2.0, 1e-15);
  EXPECT_NEAR(r.ppl, std::exp(2.0), 1e-12);
  EXPECT_NEAR(r.mean_nll_stderr, 1.0 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(r.ppl_stderr, std::exp(2.0) / std::sqrt(3.0), 1e-12);
}

TEST(Perplexity, StandardErrorEqualsTextbookFormula) {
  std::vector<double> nll;
  for (int i = 0; i < 1000; ++i) nll.push_back(1.0 + 0.5 * std::sin(0.37 * i) + 0.01 * (i % 7));
  PerplexityAccumulator accumulator;
  for (double v : nll) accumulator.add(v);
  EXPECT_NEAR(accumulator.result().mean_nll_stderr, textbook_standard_error(nll), 1e-12);
}

TEST(Perplexity, ConstantNllHasZeroError) {
  PerplexityAccumulator accumulator;
  for (int i = 0; i < 5; ++i) accumulator.add(std::log(7.0));
  EXPECT_NEAR(accumulator.result().ppl, 7.0, 1e-12);
  // Σx²/n - mean² cancels to rounding noise, not exactly 0 (llama.cpp's formula does the same).
  EXPECT_NEAR(accumulator.result().ppl_stderr, 0.0, 1e-6);
}

TEST(Statistics, SingleSampleHasNoError) {
  RunningSums sums;
  sums.add(3.0);
  EXPECT_EQ(sums.standard_error(), 0.0);
  EXPECT_EQ(covariance_of_means(3, 3, 9, 1), 0.0);
}

TEST(Percentile, LinearInterpolationOnKnownArrays) {
  // numpy.percentile's default ("linear") gives the same values.
  const std::vector<double> five = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(percentile(five, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(percentile(five, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(percentile(five, 0.9), 4.6);
  EXPECT_DOUBLE_EQ(percentile(five, 0.25), 2.0);
  EXPECT_DOUBLE_EQ(percentile(five, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(median(five), 3.0);

  const std::vector<double> four = {10, 20, 30, 40};
  EXPECT_DOUBLE_EQ(median(four), 25.0);
  EXPECT_DOUBLE_EQ(percentile(four, 0.5), 25.0);
  EXPECT_NEAR(percentile(four, 0.99), 39.7, 1e-12);  // position 2.97

  std::vector<double> thousand;
  for (int i = 0; i < 1000; ++i) thousand.push_back(i);
  EXPECT_NEAR(percentile(thousand, 0.999), 998.001, 1e-9);
  EXPECT_NEAR(percentile(thousand, 0.99), 989.01, 1e-9);

  const std::vector<double> one = {42};
  EXPECT_DOUBLE_EQ(percentile(one, 0.999), 42.0);
  EXPECT_DOUBLE_EQ(median(one), 42.0);
  EXPECT_THROW(percentile(std::vector<double>{}, 0.5), Error);
  EXPECT_THROW(median(std::vector<double>{}), Error);
}

TEST(Statistics, ProportionStandardError) {
  EXPECT_NEAR(proportion_standard_error(0.75, 4), std::sqrt(0.75 * 0.25 / 3), 1e-15);
  EXPECT_EQ(proportion_standard_error(1.0, 100), 0.0);
}

}  // namespace
}  // namespace swan::eval
