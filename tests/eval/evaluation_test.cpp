// The evaluation loops with synthetic forward passes: the perplexity loop against an
// independent re-statement of llama.cpp's protocol, KLD of a model with itself, and the
// --save-base / --base-logits round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/eval/evaluation.h"

namespace swan::eval {
namespace {

constexpr std::size_t kVocab = 11;

// A deterministic "model": row t depends on every input token up to t (causal) and on t.
std::vector<float> toy_logits(std::span<const std::int32_t> tokens, float sharpness) {
  std::vector<float> logits(tokens.size() * kVocab);
  double state = 0;
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    state = 0.7 * state + tokens[t];
    for (std::size_t v = 0; v < kVocab; ++v) {
      logits[t * kVocab + v] = sharpness * static_cast<float>(std::sin(0.3 * state * (v + 1) + 0.1 * t));
    }
  }
  return logits;
}

// What a forward pass returns: only the requested rows of toy_logits.
std::vector<float> toy_rows(std::span<const std::int32_t> tokens, inference::LogitRows rows, float sharpness) {
  const auto all = toy_logits(tokens, sharpness);
  const std::size_t first = rows.clipped_begin(tokens.size()), end = rows.clipped_end(tokens.size());
  return {all.begin() + static_cast<std::ptrdiff_t>(first * kVocab), all.begin() + static_cast<std::ptrdiff_t>(end * kVocab)};
}

std::vector<std::int32_t> toy_text(std::size_t n) {
  std::vector<std::int32_t> tokens(n);
  for (std::size_t i = 0; i < n; ++i) tokens[i] = static_cast<std::int32_t>((i * 7 + i / 3) % kVocab);
  return tokens;
}

TEST(EvaluatePerplexity, MatchesIndependentStatementOfTheProtocol) {
  const auto tokens = toy_text(70);
  const std::size_t ctx = 16;
  const std::int32_t bos = 1;
  EvalInput input{tokens, plan_chunks(tokens.size(), ctx, std::nullopt), bos, kVocab};
  std::vector<std::vector<std::int32_t>> seen;
  const auto result = evaluate_perplexity(input, [&](std::span<const std::int32_t> in, inference::LogitRows rows) {
    seen.emplace_back(in.begin(), in.end());
    // Only the scored rows are asked for (the output projection of the others is skipped).
    EXPECT_EQ(rows.begin, 8u);
    EXPECT_EQ(rows.end, 15u);
    return toy_rows(in, rows, 2.0f);
  });

  // Reference: 70 tokens → 4 chunks of 16; each chunk's first token becomes BOS; logits rows
  // 8..14 score the chunk's tokens 9..15 with -log softmax (naive formula, float64).
  ASSERT_EQ(seen.size(), 4u);
  double nll_sum = 0, nll_sq = 0;
  std::size_t count = 0;
  for (std::size_t c = 0; c < 4; ++c) {
    std::vector<std::int32_t> chunk(tokens.begin() + c * ctx, tokens.begin() + (c + 1) * ctx);
    chunk[0] = bos;
    EXPECT_EQ(seen[c], chunk);
    const auto logits = toy_logits(chunk, 2.0f);
    for (std::size_t j = 8; j <= 14; ++j) {
      double z = 0;
      for (std::size_t v = 0; v < kVocab; ++v) z += std::exp(static_cast<double>(logits[j * kVocab + v]));
      const double nll = std::log(z) - logits[j * kVocab + static_cast<std::size_t>(tokens[c * ctx + j + 1])];
      nll_sum += nll;
      nll_sq += nll * nll;
      ++count;
    }
  }
  const double mean = nll_sum / count;
  const double se = std::sqrt((nll_sq / count - mean * mean) / (count - 1));
  EXPECT_EQ(result.tokens_scored, 28u);
  EXPECT_NEAR(result.ppl, std::exp(mean), 1e-12);
  EXPECT_NEAR(result.ppl_stderr, std::exp(mean) * se, 1e-12);
}

TEST(EvaluatePerplexity, WithoutBosTheChunkIsPassedUnchanged) {
  const auto tokens = toy_text(40);
  EvalInput input{tokens, plan_chunks(tokens.size(), 8, 2), std::nullopt, kVocab};
  std::vector<std::int32_t> first;
  std::size_t chunks_reported = 0;
  evaluate_perplexity(
      input,
      [&](std::span<const std::int32_t> in, inference::LogitRows rows) {
        if (first.empty()) first.assign(in.begin(), in.end());
        return toy_rows(in, rows, 1.0f);
      },
      [&](std::size_t done) { chunks_reported = done; });
  EXPECT_EQ(first, std::vector<std::int32_t>(tokens.begin(), tokens.begin() + 8));
  EXPECT_EQ(chunks_reported, 2u);
}

TEST(EvaluatePerplexity, WrongLogitCountAndBadTargetsAreErrors) {
  const auto tokens = toy_text(40);
  EvalInput input{tokens, plan_chunks(tokens.size(), 8, std::nullopt), 1, kVocab};
  EXPECT_THROW(evaluate_perplexity(input, [](std::span<const std::int32_t> in, inference::LogitRows) {
                 return std::vector<float>(in.size() * kVocab);  // every row, not the scored ones
               }),
               Error);
  auto bad = tokens;
  bad[6] = static_cast<std::int32_t>(kVocab);  // scored target outside the vocabulary
  EvalInput bad_input{bad, input.plan, 1, kVocab};
  EXPECT_THROW(evaluate_perplexity(bad_input, [](std::span<const std::int32_t> in,
                                                 inference::LogitRows rows) { return toy_rows(in, rows, 1.0f); }),
               Error);
}

ForwardFn toy_model(float sharpness) {
  return [sharpness](std::span<const std::int32_t> in, inference::LogitRows rows) {
    return toy_rows(in, rows, sharpness);
  };
}

TEST(EvaluateKlDivergence, ModelAgainstItselfIsExactlyZero) {
  const auto tokens = toy_text(200);
  EvalInput input{tokens, plan_chunks(tokens.size(), 32, std::nullopt), 1, kVocab};
  const auto s = evaluate_kl_divergence(input, base_from_model(toy_model(3.0f), input.plan, kVocab), toy_model(3.0f));
  EXPECT_EQ(s.tokens_scored, 6u * 15u);
  EXPECT_EQ(s.kld_mean, 0.0);
  EXPECT_EQ(s.kld_max, 0.0);
  EXPECT_EQ(s.kld_stderr, 0.0);
  EXPECT_EQ(s.ln_ppl_ratio, 0.0);
  EXPECT_EQ(s.ln_ppl_ratio_stderr, 0.0);
  EXPECT_EQ(s.top1_agreement, 100.0);
  EXPECT_EQ(s.ppl_base, s.ppl_model);
  // Its perplexity equals the perplexity loop's, up to the float32 rounding of log-probs.
  const auto ppl = evaluate_perplexity(input, toy_model(3.0f));
  EXPECT_NEAR(s.ppl_model, ppl.ppl, 1e-6 * ppl.ppl);
  EXPECT_NEAR(s.ppl_model_stderr, ppl.ppl_stderr, 1e-5 * ppl.ppl_stderr);
}

TEST(EvaluateKlDivergence, SavedBaseGivesTheSameResultAsTheBaseModel) {
  test::ScratchDir scratch;
  const auto tokens = toy_text(200);
  EvalInput input{tokens, plan_chunks(tokens.size(), 32, 5), 1, kVocab};
  const auto header = make_base_logits_header(tokens, input.plan, kVocab, 1);

  BaseLogitsWriter writer(scratch / "base.bin", header);
  const auto direct =
      evaluate_kl_divergence(input, base_from_model(toy_model(3.0f), input.plan, kVocab), toy_model(2.5f), &writer);
  writer.commit();

  BaseLogitsReader reader(scratch / "base.bin");
  reader.check_matches(header);
  const auto from_file = evaluate_kl_divergence(input, base_from_file(reader), toy_model(2.5f));

  EXPECT_GT(direct.kld_mean, 0.0);
  EXPECT_EQ(from_file.kld_mean, direct.kld_mean);
  EXPECT_EQ(from_file.kld_p999, direct.kld_p999);
  EXPECT_EQ(from_file.ln_ppl_ratio, direct.ln_ppl_ratio);
  EXPECT_EQ(from_file.top1_agreement, direct.top1_agreement);

  // And a different model of the same family diverges by what the per-token definition says.
  // Softer logits (2.5 vs 3.0) keep the top token: agreement is 100%.
  EXPECT_EQ(direct.top1_agreement, 100.0);
}

}  // namespace
}  // namespace swan::eval

namespace swan::eval {
namespace {

// Chunks evaluated concurrently give exactly the sequential result (each chunk is computed
// alike and all are summed in chunk order), report every chunk once, and carry a failing
// chunk's error out of the threads.
TEST(EvaluatePerplexity, ConcurrentChunksEqualSequentialExactly) {
  const std::vector<std::int32_t> tokens = [] {
    std::vector<std::int32_t> t(16 * 9 + 5);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::int32_t>((i * 5 + i / 7) % 11);
    return t;
  }();
  EvalInput input{tokens, plan_chunks(tokens.size(), 16, std::nullopt), 1, 11};
  const ForwardFn model = [](std::span<const std::int32_t> in, inference::LogitRows rows) {
    std::vector<float> logits;
    double state = 0;
    for (std::size_t t = 0; t < in.size(); ++t) {
      state = 0.6 * state + in[t];
      if (t < rows.clipped_begin(in.size()) || t >= rows.clipped_end(in.size())) continue;
      for (std::size_t v = 0; v < 11; ++v) logits.push_back(static_cast<float>(std::cos(0.2 * state * (v + 1) + t)));
    }
    return logits;
  };
  const auto sequential = evaluate_perplexity(input, model);
  for (int concurrent : {2, 3, 64}) {
    std::vector<std::size_t> reported;
    const auto result = evaluate_perplexity(
        input, model, [&](std::size_t done) { reported.push_back(done); }, concurrent);
    EXPECT_EQ(result.ppl, sequential.ppl) << concurrent;
    EXPECT_EQ(result.ppl_stderr, sequential.ppl_stderr) << concurrent;
    EXPECT_EQ(result.tokens_scored, sequential.tokens_scored) << concurrent;
    EXPECT_EQ(reported, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6, 7, 8, 9})) << concurrent;
  }
  const ForwardFn failing = [&](std::span<const std::int32_t> in, inference::LogitRows rows) {
    if (in[1] == tokens[16 * 4 + 1]) fail("chunk 4 broke");
    return model(in, rows);
  };
  EXPECT_THROW(evaluate_perplexity(input, failing, {}, 3), Error);
}

}  // namespace
}  // namespace swan::eval
