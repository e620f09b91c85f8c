// Pre-tokenizer steps on small inputs whose results are given in HF tokenizers'
// documentation (SplitDelimiterBehavior on "the-final--countdown") or worked by hand.
#include <gtest/gtest.h>

#include "swan/core/error.h"
#include "swan/tokenizer/pre_tokenizer.h"

namespace swan {
namespace {

using Words = std::vector<std::string>;

Words split_with(const std::string& behavior, bool invert, const std::string& text) {
  const auto spec = nlohmann::json{{"type", "Split"},
                                   {"pattern", {{"String", "-"}}},
                                   {"behavior", behavior},
                                   {"invert", invert}};
  return PreTokenizer::from_json(spec, "test").split(text);
}

TEST(PreTokenizer, SplitBehaviorsAsDocumentedByHf) {
  const std::string text = "the-final--countdown";
  EXPECT_EQ(split_with("Removed", false, text), (Words{"the", "final", "countdown"}));
  EXPECT_EQ(split_with("Isolated", false, text), (Words{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split_with("MergedWithPrevious", false, text), (Words{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split_with("MergedWithNext", false, text), (Words{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split_with("Contiguous", false, text), (Words{"the", "-", "final", "--", "countdown"}));
}

TEST(PreTokenizer, InvertSwapsMatchesAndGaps) {
  // Inverted, the words are the "matches" and Removed drops them, keeping the dashes.
  EXPECT_EQ(split_with("Removed", true, "the-final--countdown"), (Words{"-", "-", "-"}));
  EXPECT_EQ(split_with("Isolated", true, "a-b"), (Words{"a", "-", "b"}));
}

TEST(PreTokenizer, LiteralStringPatternIsNotARegex) {
  const auto spec = nlohmann::json{{"type", "Split"}, {"pattern", {{"String", "."}}}, {"behavior", "Removed"}};
  EXPECT_EQ(PreTokenizer::from_json(spec, "test").split("a.b.c"), (Words{"a", "b", "c"}));
  EXPECT_EQ(PreTokenizer::from_json(spec, "test").split("abc"), (Words{"abc"}));
}

TEST(PreTokenizer, ByteLevelWithGpt2RegexAndPrefixSpace) {
  const auto spec = nlohmann::json{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  const auto pre = PreTokenizer::from_json(spec, "test");
  EXPECT_TRUE(pre.is_byte_level());
  EXPECT_EQ(pre.split("Hello world's  42!"), (Words{" Hello", " world", "'s", " ", " 42", "!"}));
  EXPECT_EQ(pre.split(" x"), (Words{" x"}));  // no second space when one is there
}

TEST(PreTokenizer, SequenceAppliesStepsInOrder) {
  // Qwen2's regex, then ByteLevel without its own regex: "\p{N}" isolates single digits.
  const auto spec = nlohmann::json::parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "\\p{N}|\\s+(?!\\S)|\\s+|[^\\s\\p{N}]+"},
       "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})");
  EXPECT_EQ(PreTokenizer::from_json(spec, "test").split("ab 123  c"),
            (Words{"ab", " ", "1", "2", "3", " ", " ", "c"}));
}

TEST(PreTokenizer, RejectsUnsupportedSteps) {
  EXPECT_THROW(PreTokenizer::from_json(nlohmann::json{{"type", "Metaspace"}}, "test"), Error);
  EXPECT_THROW(PreTokenizer::from_json(nlohmann::json{{"type", "Split"}, {"pattern", {{"Regex", "("}}}}, "test"),
               Error);
  EXPECT_THROW(PreTokenizer::from_json(nlohmann::json{{"type", "Split"}, {"pattern", {{"String", "-"}}},
                                                      {"behavior", "Sideways"}},
                                       "test"),
               Error);
}

}  // namespace
}  // namespace swan
