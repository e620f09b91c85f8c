// The trained qwen3-tiny-5.8m tokenizer against golden/tokenizer/qwen3-tiny-5.8m_cases.json:
// ids and token strings that HF's tokenizers (JS ports) give with special tokens parsed, as
// evaluation does. Loaded through load_tokenizer on the model directory.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "tokenizer/tokenizer_fixtures.h"

namespace swan::test {
namespace {

struct TinyCase {
  std::string text;
  std::vector<std::int32_t> ids;
  std::vector<std::string> tokens;
};

std::vector<TinyCase> tiny_cases() {
  const auto json =
      nlohmann::json::parse(read_text_file(shared_path("golden/tokenizer/qwen3-tiny-5.8m_cases.json")));
  std::vector<TinyCase> cases;
  for (const auto& c : json.at("cases")) {
    cases.push_back({c.at("text").get<std::string>(), c.at("ids").get<std::vector<std::int32_t>>(),
                     c.at("tokens").get<std::vector<std::string>>()});
  }
  return cases;
}

const Tokenizer& tiny_tokenizer() {
  static const auto tokenizer = load_tokenizer(shared_path("models/qwen3-tiny-5.8m"));
  return *tokenizer;
}

TEST(Qwen3TinyTokenizer, LoadsAsByteLevelBpeWithoutBos) {
  const auto* bpe = dynamic_cast<const BpeTokenizer*>(&tiny_tokenizer());
  ASSERT_NE(bpe, nullptr);
  EXPECT_EQ(bpe->vocab_size(), 4096u);  // README: 4091 BPE tokens + 5 added
  EXPECT_FALSE(bpe->bos_id().has_value());  // tokenizer_config.json: bos_token null
  EXPECT_FALSE(bpe->adds_bos());
  EXPECT_EQ(bpe->eos_id(), 4091);  // <|endoftext|>
  EXPECT_EQ(bpe->token_to_id("<think>"), 4094);
}

TEST(Qwen3TinyTokenizer, GoldenCasesMatchIdsAndTokens) {
  const auto cases = tiny_cases();
  ASSERT_EQ(cases.size(), 27u);
  const auto& bpe = dynamic_cast<const BpeTokenizer&>(tiny_tokenizer());
  int matched = 0;
  for (const auto& c : cases) {
    const auto ids = bpe.encode(c.text);
    EXPECT_EQ(ids, c.ids) << "text: \"" << c.text << "\"";
    std::vector<std::string> tokens;
    for (const auto id : ids) tokens.push_back(bpe.id_to_token(id));
    EXPECT_EQ(tokens, c.tokens) << "text: \"" << c.text << "\"";
    matched += ids == c.ids && tokens == c.tokens;
  }
  EXPECT_EQ(matched, 27);
}

// The tokenizer normalizes to NFC, so text comes back in NFC form (utf8proc's reference
// NFC here); one case ("e\u0301 vs \u00e9") is written decomposed on purpose.
std::string nfc(const std::string& text) {
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> composed(
      utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(text.c_str())), &std::free);
  return reinterpret_cast<const char*>(composed.get());
}

TEST(Qwen3TinyTokenizer, GoldenCasesRoundTripUpToNfc) {
  int changed_by_nfc = 0;
  for (const auto& c : tiny_cases()) {
    // utf8proc_NFC stops at NUL; the one case with a NUL is NFC already (ASCII, U+200B, ...).
    const bool has_nul = c.text.find('\0') != std::string::npos;
    const std::string expected = has_nul ? c.text : nfc(c.text);
    EXPECT_EQ(tiny_tokenizer().decode(tiny_tokenizer().encode(c.text)), expected);
    EXPECT_EQ(tiny_tokenizer().decode(c.ids), expected);
    changed_by_nfc += expected != c.text;
  }
  EXPECT_EQ(changed_by_nfc, 1);
}

TEST(Qwen3TinyTokenizer, SpecialTokensAreTextWhenNotParsed) {
  // Parsed: one id each. Not parsed: <|im_end|> is split like any text, while <think> is a
  // non-special added token and stays whole (llama.cpp's parse_special = false).
  const auto& tokenizer = tiny_tokenizer();
  EXPECT_EQ(tokenizer.encode("<|im_end|>"), (std::vector<std::int32_t>{4093}));
  const auto ordinary = tokenizer.encode("<|im_end|>", /*parse_special=*/false);
  EXPECT_GT(ordinary.size(), 1u);
  for (const auto id : ordinary) EXPECT_LT(id, 4091);
  EXPECT_EQ(tokenizer.decode(ordinary), "<|im_end|>");
  EXPECT_EQ(tokenizer.encode("<think>", /*parse_special=*/false), (std::vector<std::int32_t>{4094}));
}

}  // namespace
}  // namespace swan::test
