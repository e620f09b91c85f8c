// `swan eval` end to end on the shared tiny models: llama.cpp's published perplexity for
// stories260k, KLD of a model with itself, base-logit reuse, and the user-facing refusals.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/eval/runner.h"

namespace swan::eval {
namespace {

const auto kStories = test::shared_path("models/stories260k");
const auto kStoriesBf16 = test::shared_path("models/stories260k-bf16");
const auto kQwen3Tiny = test::shared_path("models/qwen3-tiny-5.8m");
const auto kText = test::shared_path("data/tinystories-valid-head/tinystories_valid_head100.txt");

RunSettings settings(std::size_t ctx, std::optional<std::size_t> chunks) {
  RunSettings s;
  s.ctx = ctx;
  s.chunks = chunks;
  s.threads = 1;  // tiny models: one thread is fastest, and tests share the machine
  s.progress = false;
  return s;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(RunPerplexity, Stories260kReproducesLlamaCpp) {
  // shared/data/tinystories-valid-head/README.md: llama-perplexity -c 256 --chunks 40 on the
  // F32 GGUF of stories260k gives PPL = 3.8232 ± 0.0969 (printed to 4 decimals).
  const auto report = run_perplexity(kStories, kText, settings(256, 40));
  EXPECT_EQ(report.result.tokens_scored, 40u * 127u);
  EXPECT_EQ(report.plan.chunk_count, 40u);
  EXPECT_NEAR(report.result.ppl, 3.8232, 5e-5 + 1e-5);
  EXPECT_NEAR(report.result.ppl_stderr, 0.0969, 5e-5 + 1e-5);
}

TEST(RunKlDivergence, ModelAgainstItselfIsExactlyZero) {
  KldRun run{.base_dir = kStories, .model_dir = kStories, .text_path = kText};
  const auto s = run_kl_divergence(run, settings(256, 6)).summary;
  EXPECT_EQ(s.tokens_scored, 6u * 127u);
  EXPECT_EQ(s.kld_mean, 0.0);
  EXPECT_EQ(s.kld_max, 0.0);
  EXPECT_EQ(s.ln_ppl_ratio, 0.0);
  EXPECT_EQ(s.top1_agreement, 100.0);
}

TEST(RunKlDivergence, SavedBaseIsReusedAndTiedToItsText) {
  test::ScratchDir scratch;
  const auto file = scratch / "stories.base";
  KldRun direct{.base_dir = kStories, .model_dir = kStoriesBf16, .text_path = kText, .save_base = file};
  const auto first = run_kl_divergence(direct, settings(128, 5)).summary;
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_GT(first.kld_mean, 0.0);  // bf16 rounding of the weights shows up
  EXPECT_LT(first.kld_mean, 1e-3);

  // Only MODEL and the file; --ctx / --chunks come from the file.
  KldRun reuse{.model_dir = kStoriesBf16, .text_path = kText, .base_logits = file};
  RunSettings from_file = settings(0, std::nullopt);
  from_file.ctx.reset();
  const auto second = run_kl_divergence(reuse, from_file);
  EXPECT_EQ(second.plan.ctx, 128u);
  EXPECT_EQ(second.plan.chunk_count, 5u);
  EXPECT_EQ(second.summary.kld_mean, first.kld_mean);
  EXPECT_EQ(second.summary.kld_p99, first.kld_p99);
  EXPECT_EQ(second.summary.ln_ppl_ratio, first.ln_ppl_ratio);

  // Another text gives other tokens: refused.
  const auto other = scratch / "other.txt";
  std::ofstream(other) << std::string(3000, 'a') << " Once upon a time there was a dog. " << std::string(3000, 'b');
  KldRun wrong_text{.model_dir = kStoriesBf16, .text_path = other, .base_logits = file};
  EXPECT_NE(error_of([&] { run_kl_divergence(wrong_text, from_file); }).find("different tokens"), std::string::npos);
}

TEST(RunErrors, MissingAndTooShortText) {
  test::ScratchDir scratch;
  EXPECT_NE(error_of([&] { run_perplexity(kStories, scratch / "nope.txt", settings(256, 1)); }).find("does not exist"),
            std::string::npos);
  const auto short_text = scratch / "short.txt";
  std::ofstream(short_text) << "Once upon a time, there was a little cat. The cat liked to play in the sun.\n";
  const std::string message = error_of([&] { run_perplexity(kStories, short_text, settings(256, 1)); });
  EXPECT_NE(message.find("tokenizes to only"), std::string::npos) << message;
  EXPECT_NE(message.find("--ctx 16"), std::string::npos) << message;  // 20-odd tokens: 16 fits
}

TEST(RunErrors, DifferentTokenizersOrVocabulariesAreRefused) {
  test::ScratchDir scratch;
  const auto text = scratch / "text.txt";
  std::ofstream(text) << std::string(200, 'x');
  KldRun mixed{.base_dir = kStories, .model_dir = kQwen3Tiny, .text_path = text};
  EXPECT_NE(error_of([&] { run_kl_divergence(mixed, settings(8, 1)); }).find("tokenize the text differently"),
            std::string::npos);

  // Same tokenizer files, but a model with another vocabulary size (Qwen3-tiny: 4096 vs 512).
  const auto hybrid = scratch / "hybrid";
  std::filesystem::create_directory(hybrid);
  for (const char* name : {"config.json", "model.safetensors"}) {
    std::filesystem::create_symlink(kQwen3Tiny / name, hybrid / name);
  }
  for (const char* name : {"tokenizer.model", "tokenizer_config.json"}) {
    std::filesystem::create_symlink(kStories / name, hybrid / name);
  }
  KldRun vocab{.base_dir = kStories, .model_dir = hybrid, .text_path = text};
  EXPECT_NE(error_of([&] { run_kl_divergence(vocab, settings(8, 1)); }).find("same vocabulary"), std::string::npos);
}

}  // namespace
}  // namespace swan::eval
