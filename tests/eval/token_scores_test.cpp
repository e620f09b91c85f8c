// The token-score file of `swan eval kld --save-scores` and the paired comparison of
// `--paired`: round trip, refusals of foreign or damaged files, hand-worked statistics, and
// end to end on stories260k.
#include "swan/eval/token_scores.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/eval/runner.h"

namespace swan::eval {
namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TokenScores example() {
  TokenScores t;
  t.evaluation.vocab_size = 512;
  t.evaluation.ctx = 8;  // 3 scored per chunk
  t.evaluation.chunk_count = 2;
  t.evaluation.scored_per_chunk = 3;
  t.evaluation.bos_id = 1;
  t.evaluation.token_count = 20;
  t.evaluation.tokens_hash = 0x0123456789abcdefULL;
  for (int i = 0; i < 6; ++i) t.scores.push_back({0.01 * i + 1e-17, 2.0 + i / 3.0, 2.5 - i / 7.0});
  return t;
}

TEST(TokenScoresFile, RoundTripIsBitwise) {
  test::ScratchDir scratch;
  const auto file = scratch / "a.scores";
  const TokenScores written = example();
  write_token_scores(file, written);
  EXPECT_EQ(std::filesystem::file_size(file), 64u + 24u * 6u);
  const TokenScores read = read_token_scores(file);
  EXPECT_EQ(read.evaluation.vocab_size, 512u);
  EXPECT_EQ(read.evaluation.ctx, 8u);
  EXPECT_EQ(read.evaluation.chunk_count, 2u);
  EXPECT_EQ(read.evaluation.bos_id, 1);
  EXPECT_EQ(read.evaluation.token_count, 20u);
  EXPECT_EQ(read.evaluation.tokens_hash, written.evaluation.tokens_hash);
  ASSERT_EQ(read.scores.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(read.scores[i].kld, written.scores[i].kld);
    EXPECT_EQ(read.scores[i].nll_base, written.scores[i].nll_base);
    EXPECT_EQ(read.scores[i].nll_model, written.scores[i].nll_model);
  }
}

TEST(TokenScoresFile, ForeignTruncatedAndCorruptFilesAreRefused) {
  test::ScratchDir scratch;
  const auto file = scratch / "a.scores";
  write_token_scores(file, example());
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto write_variant = [&](const std::string& contents) {
    const auto path = scratch / "variant.scores";
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  };
  EXPECT_NE(error_of([&] { read_token_scores(write_variant(bytes.substr(0, bytes.size() - 1))); }).find("truncated"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_token_scores(write_variant(bytes.substr(0, 10))); }).find("not a swan token-score"),
            std::string::npos);
  std::string other_magic = bytes;
  other_magic[4] = 'B';  // a base-logit file's magic
  EXPECT_NE(error_of([&] { read_token_scores(write_variant(other_magic)); }).find("not a swan token-score"),
            std::string::npos);
  std::string wrong_count = bytes;
  wrong_count[56] = 7;  // 7 scores for 2 chunks of 3
  EXPECT_NE(error_of([&] { read_token_scores(write_variant(wrong_count)); }).find("inconsistent"), std::string::npos);
  std::string not_finite = bytes;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(not_finite.data() + 64 + 24 * 2 + 8, &nan, sizeof nan);
  EXPECT_NE(error_of([&] { read_token_scores(write_variant(not_finite)); }).find("token 2 has a non-finite"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_token_scores(scratch / "missing.scores"); }).find("cannot open"), std::string::npos);
}

TEST(PairedComparison, HandWorkedStatistics) {
  // KLDs a = (.1 .2 .3 .4), b = (.2 .1 .5 .3): differences (-.1 .1 -.2 .1), mean -0.025;
  // variance of their mean (Σd²/n - mean²) / (n - 1) = (0.0175 - 0.000625) / 3 = 0.005625.
  // Ratio 0.25 / 0.275; delta method with var_a = 0.0125/3, var_b = 0.021875/3,
  // cov = 0.00875/3: relative variance 0.066667 + 0.096419 - 0.084848 = 0.078237.
  const std::vector<TokenScore> a = {{0.1, 1.0, 1.5}, {0.2, 2.0, 2.0}, {0.3, 3.0, 3.5}, {0.4, 4.0, 4.0}};
  const std::vector<TokenScore> b = {{0.2, 1.0, 1.0}, {0.1, 2.0, 2.5}, {0.5, 3.0, 3.0}, {0.3, 4.0, 4.5}};
  const PairedComparison c = compare_paired(a, b);
  EXPECT_EQ(c.tokens, 4u);
  EXPECT_NEAR(c.kld_mean, 0.25, 1e-15);
  EXPECT_NEAR(c.other_kld_mean, 0.275, 1e-15);
  EXPECT_NEAR(c.kld_difference, -0.025, 1e-15);
  EXPECT_NEAR(c.kld_difference_stderr, 0.075, 1e-12);
  EXPECT_NEAR(c.kld_ratio, 0.25 / 0.275, 1e-15);
  EXPECT_NEAR(c.kld_ratio_stderr, 0.25 / 0.275 * std::sqrt(0.0782372), 1e-5);
  // NLL differences (.5 -.5 .5 -.5): mean 0, variance of the mean (0.25 - 0) / 3.
  EXPECT_NEAR(c.nll_difference, 0.0, 1e-15);
  EXPECT_NEAR(c.nll_difference_stderr, std::sqrt(0.25 / 3), 1e-12);

  const PairedComparison same = compare_paired(a, a);
  EXPECT_EQ(same.kld_difference, 0.0);
  EXPECT_EQ(same.kld_difference_stderr, 0.0);
  EXPECT_EQ(same.kld_ratio, 1.0);
}

TEST(PairedComparison, OtherTokensOrBaseAreRefused) {
  const std::vector<TokenScore> a = {{0.1, 1.0, 1.5}, {0.2, 2.0, 2.0}};
  std::vector<TokenScore> other_base = a;
  other_base[1].nll_base = std::nextafter(2.0, 3.0);
  EXPECT_NE(error_of([&] { compare_paired(a, other_base); }).find("different base models or texts"),
            std::string::npos);
  EXPECT_NE(error_of([&] { compare_paired(a, std::span(a).first(1)); }).find("scored 2 and 1 tokens"),
            std::string::npos);
}

// End to end: the bf16 copy of stories260k against its float32 original, paired with itself
// and with the original measured against itself (KLD exactly 0).
TEST(PairedComparison, RunsPairOnTheSameTokensOnly) {
  test::ScratchDir scratch;
  const auto kStories = test::shared_path("models/stories260k");
  const auto kStoriesBf16 = test::shared_path("models/stories260k-bf16");
  const auto kText = test::shared_path("data/tinystories-valid-head/tinystories_valid_head100.txt");
  RunSettings settings;
  settings.ctx = 64;
  settings.chunks = 4;
  settings.threads = 1;
  settings.progress = false;
  const auto bf16_scores = scratch / "bf16.scores";
  KldRun bf16{.base_dir = kStories, .model_dir = kStoriesBf16, .text_path = kText, .save_scores = bf16_scores};
  const auto first = run_kl_divergence(bf16, settings);
  EXPECT_FALSE(first.paired.has_value());
  ASSERT_TRUE(std::filesystem::exists(bf16_scores));
  EXPECT_EQ(read_token_scores(bf16_scores).scores.size(), first.summary.tokens_scored);

  KldRun again = bf16;
  again.save_scores.reset();
  again.paired = bf16_scores;
  const auto second = run_kl_divergence(again, settings);
  ASSERT_TRUE(second.paired.has_value());
  EXPECT_EQ(second.paired->kld_difference, 0.0);
  EXPECT_EQ(second.paired->other_kld_mean, first.summary.kld_mean);

  KldRun original{.base_dir = kStories, .model_dir = kStories, .text_path = kText, .paired = bf16_scores};
  const auto third = run_kl_divergence(original, settings);
  ASSERT_TRUE(third.paired.has_value());
  EXPECT_EQ(third.summary.kld_mean, 0.0);
  EXPECT_NEAR(third.paired->kld_difference, -first.summary.kld_mean, 1e-15);
  EXPECT_NEAR(third.paired->kld_difference_stderr, first.summary.kld_stderr, 1e-15);
  EXPECT_NEAR(third.paired->nll_difference, -first.summary.ln_ppl_ratio, 1e-12);

  RunSettings longer = settings;
  longer.ctx = 128;
  EXPECT_NE(error_of([&] { run_kl_divergence(original, longer); }).find("--ctx 64"), std::string::npos);
  KldRun overwrite = again;
  overwrite.save_scores = bf16_scores;  // the file it pairs with
  EXPECT_NE(error_of([&] { run_kl_divergence(overwrite, settings); }).find("--save-scores"), std::string::npos);
}

}  // namespace
}  // namespace swan::eval
