// Evaluation tokenizes WikiText-2's test split (1.3 MB) before every perplexity run: it
// must take well under a few seconds and give back the text exactly.
#include <gtest/gtest.h>

#include <chrono>

#include "tokenizer/tokenizer_fixtures.h"

namespace swan::test {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kTimed = false;  // sanitizers slow everything down several times
#else
constexpr bool kTimed = true;
#endif

void expect_fast_round_trip(const Tokenizer& tokenizer, const char* name) {
  const std::string text = read_text_file(shared_path("data/wikitext-2-raw/wiki.test.raw"));
  ASSERT_GT(text.size(), 1'000'000u);
  const auto start = std::chrono::steady_clock::now();
  const auto ids = tokenizer.encode(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu bytes → %zu tokens in %.3f s\n", name, text.size(), ids.size(), seconds);
  // Byte-level BPE averages 3-5 bytes per token on English text.
  EXPECT_GT(ids.size(), text.size() / 6);
  EXPECT_LT(ids.size(), text.size() / 2);
  if (kTimed) {
    EXPECT_LT(seconds, 2.0) << name;
  }
  EXPECT_TRUE(tokenizer.decode(ids) == text) << name << ": WikiText-2 does not round-trip";
}

TEST(TokenizerSpeed, WikiText2WithQwen3) { expect_fast_round_trip(qwen3_tokenizer(), "qwen3"); }

TEST(TokenizerSpeed, WikiText2WithLlama3) { expect_fast_round_trip(llama3_tokenizer(), "llama3"); }

}  // namespace
}  // namespace swan::test
