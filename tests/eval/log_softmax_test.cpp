// Log-softmax / NLL against hand-worked values and the naive textbook formula.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "swan/core/error.h"
#include "swan/eval/log_softmax.h"

namespace swan::eval {
namespace {

TEST(LogSoftmax, TwoTokensWithOddsOneToThree) {
  // p = (1/4, 3/4) when the logits differ by ln 3.
  const std::vector<float> logits = {0.0f, static_cast<float>(std::log(3.0))};
  std::vector<float> out(2);
  log_softmax(logits, out);
  EXPECT_NEAR(out[0], std::log(0.25), 1e-7);
  EXPECT_NEAR(out[1], std::log(0.75), 1e-7);
  EXPECT_NEAR(negative_log_likelihood(logits, 0), std::log(4.0), 1e-7);
  EXPECT_NEAR(negative_log_likelihood(logits, 1), std::log(4.0 / 3.0), 1e-7);
}

TEST(LogSoftmax, UniformRowGivesMinusLogVocab) {
  const std::vector<float> logits(8, 2.5f);
  std::vector<float> out(8);
  log_softmax(logits, out);
  for (float v : out) EXPECT_EQ(v, static_cast<float>(-std::log(8.0)));
  EXPECT_DOUBLE_EQ(log_sum_exp(logits), 2.5 + std::log(8.0));
}

TEST(LogSoftmax, MatchesNaiveFormulaOnModerateLogits) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f, -0.5f};
  double naive_sum = 0;
  for (float v : logits) naive_sum += std::exp(static_cast<double>(v));
  std::vector<float> out(4);
  log_softmax(logits, out);
  for (std::size_t i = 0; i < logits.size(); ++i) {
    EXPECT_NEAR(out[i], logits[i] - std::log(naive_sum), 2e-7);
    EXPECT_NEAR(negative_log_likelihood(logits, static_cast<std::int32_t>(i)), std::log(naive_sum) - logits[i], 1e-12);
  }
}

TEST(LogSoftmax, StableForHugeAndTinyLogits) {
  // exp(1000) overflows double; the max-shift keeps it exact: p = (1/(1+e), e/(1+e)).
  for (float base : {1000.0f, -1000.0f}) {
    const std::vector<float> logits = {base, base + 1.0f};
    std::vector<float> out(2);
    log_softmax(logits, out);
    EXPECT_NEAR(out[0], -std::log1p(std::exp(1.0)), 1e-6) << base;
    EXPECT_NEAR(out[1], 1.0 - std::log1p(std::exp(1.0)), 1e-6) << base;
  }
}

TEST(LogSoftmax, NegativeInfinityMeansZeroProbability) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> logits = {0.0f, -inf, 0.0f};
  std::vector<float> out(3);
  log_softmax(logits, out);
  EXPECT_NEAR(out[0], -std::log(2.0), 1e-7);
  EXPECT_EQ(out[1], -inf);
}

TEST(LogSoftmax, RefusesBrokenRowsAndTargets) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(log_sum_exp(std::vector<float>{0.0f, nan}), Error);
  EXPECT_THROW(log_sum_exp(std::vector<float>{nan, 0.0f}), Error);
  EXPECT_THROW(log_sum_exp(std::vector<float>{0.0f, inf}), Error);
  EXPECT_THROW(log_sum_exp(std::vector<float>{-inf, -inf}), Error);
  EXPECT_THROW(log_sum_exp(std::vector<float>{}), Error);
  EXPECT_THROW(negative_log_likelihood(std::vector<float>{0.0f, 1.0f}, 2), Error);
  EXPECT_THROW(negative_log_likelihood(std::vector<float>{0.0f, 1.0f}, -1), Error);
}

TEST(Argmax, FirstIndexOnTies) {
  EXPECT_EQ(argmax(std::vector<float>{1, 3, 3, 2}), 1u);
  EXPECT_EQ(argmax(std::vector<float>{5}), 0u);
}

}  // namespace
}  // namespace swan::eval
