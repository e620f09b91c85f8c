// KL-divergence per token against analytic values, and the summary statistics (paired
// ln-ratio error, top-1 agreement) against independent formulas on constructed data.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "swan/core/error.h"
#include "swan/eval/kl_divergence.h"
#include "swan/eval/log_softmax.h"

namespace swan::eval {
namespace {

std::vector<float> log_probs_of(const std::vector<float>& logits) {
  std::vector<float> out(logits.size());
  log_softmax(logits, out);
  return out;
}

TEST(KlDivergence, IdenticalDistributionsGiveExactlyZero) {
  std::vector<float> logits(1000);
  for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = static_cast<float>(std::sin(0.7 * i) * 9.0);
  const auto a = log_probs_of(logits);
  const auto b = log_probs_of(logits);
  const auto token = compare_token(a, b, 17);
  EXPECT_EQ(token.kld, 0.0);
  EXPECT_EQ(token.nll_base, token.nll_model);
  EXPECT_TRUE(token.same_top);
}

TEST(KlDivergence, FairCoinAgainstOneToThreeOdds) {
  // KL((1/2, 1/2) ‖ (1/4, 3/4)) = ½ ln 2 + ½ ln(2/3) = ½ ln(4/3).
  const auto base = log_probs_of({0.0f, 0.0f});
  const auto model = log_probs_of({0.0f, static_cast<float>(std::log(3.0))});
  const auto token = compare_token(base, model, 0);
  EXPECT_NEAR(token.kld, 0.5 * std::log(4.0 / 3.0), 1e-7);
  EXPECT_NEAR(token.nll_base, std::log(2.0), 1e-7);
  EXPECT_NEAR(token.nll_model, std::log(4.0), 1e-7);
  // The base's tie resolves to token 0, the model's top token is 1.
  EXPECT_FALSE(token.same_top);
}

TEST(KlDivergence, MatchesTextbookSumForThreeOutcomes) {
  const std::vector<double> p = {0.2, 0.5, 0.3}, q = {0.1, 0.6, 0.3};
  double expected = 0;
  for (int i = 0; i < 3; ++i) expected += p[i] * std::log(p[i] / q[i]);
  std::vector<float> base, model;
  for (int i = 0; i < 3; ++i) {
    base.push_back(static_cast<float>(std::log(p[i])));
    model.push_back(static_cast<float>(std::log(q[i])));
  }
  const auto token = compare_token(base, model, 2);
  EXPECT_NEAR(token.kld, expected, 1e-7);
  EXPECT_TRUE(token.same_top);
  EXPECT_NEAR(token.nll_model, -std::log(0.3), 1e-7);
}

TEST(KlDivergence, ZeroBaseProbabilityContributesNothing) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> base = {static_cast<float>(std::log(0.5)), static_cast<float>(std::log(0.5)), -inf};
  const std::vector<float> model = {static_cast<float>(std::log(0.5)), static_cast<float>(std::log(0.25)),
                                    static_cast<float>(std::log(0.25))};
  EXPECT_NEAR(compare_token(base, model, 0).kld, 0.5 * std::log(2.0), 1e-7);
  EXPECT_THROW(compare_token(base, model, 3), Error);
}

TEST(KldSummary, PairedLnRatioErrorEqualsErrorOfDifferences) {
  // Correlated NLLs: the paired error must equal the textbook standard error of the per-token
  // differences, and be far below the error of either perplexity alone.
  const std::size_t n = 500;
  std::vector<double> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    b[i] = 2.0 + std::sin(0.91 * i);
    a[i] = b[i] + 0.05 + 0.02 * std::cos(1.3 * i);
  }
  KldAccumulator accumulator;
  for (std::size_t i = 0; i < n; ++i) accumulator.add({.kld = 0.01, .nll_base = b[i], .nll_model = a[i]});
  const auto s = accumulator.summary();

  double mean_d = 0, mean_a = 0, mean_b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_d += a[i] - b[i];
    mean_a += a[i];
    mean_b += b[i];
  }
  mean_d /= n;
  mean_a /= n;
  mean_b /= n;
  double squares = 0;
  for (std::size_t i = 0; i < n; ++i) squares += (a[i] - b[i] - mean_d) * (a[i] - b[i] - mean_d);
  const double se_d = std::sqrt(squares / (n - 1) / n);

  EXPECT_NEAR(s.ln_ppl_ratio, mean_d, 1e-12);
  EXPECT_NEAR(s.ln_ppl_ratio, std::log(s.ppl_model / s.ppl_base), 1e-12);
  EXPECT_NEAR(s.ln_ppl_ratio_stderr, se_d, 1e-9);
  EXPECT_NEAR(s.ppl_model, std::exp(mean_a), 1e-9);
  EXPECT_NEAR(s.ppl_base, std::exp(mean_b), 1e-9);
  EXPECT_LT(s.ln_ppl_ratio_stderr, 0.1 * s.ppl_base_stderr / s.ppl_base);
}

TEST(KldSummary, ConstantShiftHasNoRatioError) {
  KldAccumulator accumulator;
  for (int i = 0; i < 50; ++i) {
    const double b = 1.0 + 0.1 * (i % 5);
    accumulator.add({.kld = 0.0, .nll_base = b, .nll_model = b + 0.25});
  }
  const auto s = accumulator.summary();
  EXPECT_NEAR(s.ln_ppl_ratio, 0.25, 1e-12);
  EXPECT_NEAR(s.ln_ppl_ratio_stderr, 0.0, 1e-7);
}

TEST(KldSummary, IdenticalNllsGiveExactlyZeroRatioAndError) {
  KldAccumulator accumulator;
  for (int i = 0; i < 300; ++i) {
    const double nll = 0.3 + std::fabs(std::sin(1.7 * i)) * 4;
    accumulator.add({.kld = 0.0, .nll_base = nll, .nll_model = nll, .same_top = true});
  }
  const auto s = accumulator.summary();
  EXPECT_EQ(s.ln_ppl_ratio, 0.0);
  EXPECT_EQ(s.ln_ppl_ratio_stderr, 0.0);
  EXPECT_EQ(s.kld_mean, 0.0);
  EXPECT_EQ(s.kld_max, 0.0);
  EXPECT_EQ(s.top1_agreement, 100.0);
  EXPECT_EQ(s.top1_agreement_stderr, 0.0);
}

TEST(KldSummary, Top1AgreementAndKldPercentiles) {
  KldAccumulator accumulator;
  // KLD values 0, 1, …, 99 in scrambled order; 3 of every 4 tokens agree on the top token.
  for (int i = 0; i < 100; ++i) {
    accumulator.add({.kld = static_cast<double>((i * 37) % 100), .nll_base = 1, .nll_model = 1, .same_top = i % 4 != 0});
  }
  const auto s = accumulator.summary();
  EXPECT_EQ(s.tokens_scored, 100u);
  EXPECT_DOUBLE_EQ(s.top1_agreement, 75.0);
  EXPECT_NEAR(s.top1_agreement_stderr, 100.0 * std::sqrt(0.75 * 0.25 / 99), 1e-12);
  EXPECT_DOUBLE_EQ(s.kld_mean, 49.5);
  EXPECT_DOUBLE_EQ(s.kld_median, 49.5);
  EXPECT_NEAR(s.kld_p90, 89.1, 1e-9);
  EXPECT_NEAR(s.kld_p99, 98.01, 1e-9);
  EXPECT_NEAR(s.kld_p999, 98.901, 1e-9);
  EXPECT_DOUBLE_EQ(s.kld_max, 99.0);
  // Sample standard deviation of 0..99 is sqrt(841.666…) → se = that / 10.
  EXPECT_NEAR(s.kld_stderr, std::sqrt(100.0 * 101.0 / 12.0) / 10.0, 1e-9);
}

TEST(KldSummary, EmptyIsAnError) { EXPECT_THROW(KldAccumulator().summary(), Error); }

}  // namespace
}  // namespace swan::eval
