// Byte-level BPE against llama.cpp's vocab goldens: the ids that HF's own tokenizers give
// for 46 tricky texts (whitespace runs, digits, CJK, emoji, contractions, ...), encoded
// without BOS and without parsing special tokens.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer_fixtures.h"

namespace swan::test {
namespace {

void expect_golden(const BpeTokenizer& tokenizer, const std::string& stem) {
  const auto cases = read_llamacpp_cases(stem);
  ASSERT_EQ(cases.size(), 46u) << stem;
  int matched = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto ids = tokenizer.encode(cases[i].text, /*parse_special=*/false);
    EXPECT_EQ(ids, cases[i].ids) << stem << " text " << i << ": \"" << cases[i].text << "\"";
    matched += ids == cases[i].ids;
  }
  EXPECT_EQ(matched, 46) << stem;
}

void expect_round_trips(const BpeTokenizer& tokenizer, const std::string& stem) {
  for (const auto& c : read_llamacpp_cases(stem)) {
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(c.text, false)), c.text) << stem;
    EXPECT_EQ(tokenizer.decode(c.ids), c.text) << stem;  // the reference ids decode to the text
  }
}

TEST(LlamaCppGolden, Qwen2TextsMatchWithQwen3Tokenizer) { expect_golden(qwen3_tokenizer(), "qwen2"); }

TEST(LlamaCppGolden, LlamaBpeTextsMatchWithLlama3Tokenizer) {
  expect_golden(llama3_tokenizer(), "llama-bpe");
}

TEST(LlamaCppGolden, Qwen2TextsRoundTrip) { expect_round_trips(qwen3_tokenizer(), "qwen2"); }

TEST(LlamaCppGolden, LlamaBpeTextsRoundTrip) { expect_round_trips(llama3_tokenizer(), "llama-bpe"); }

}  // namespace
}  // namespace swan::test
