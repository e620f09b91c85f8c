// Byte-level BPE on a tiny hand-built tokenizer.json, where every expected id sequence can
// be worked out by hand: merge order by rank, leftmost-first ties, ignore_merges, the two
// merge encodings, added tokens (lstrip / rstrip / single_word / longest match) and the BOS
// policy from the post-processor and tokenizer_config.json.
#include <gtest/gtest.h>

#include "swan/core/error.h"
#include "swan/tokenizer/bpe_tokenizer.h"

namespace swan {
namespace {

using Ids = std::vector<std::int32_t>;

// Vocabulary in GPT-2's byte alphabet: "Ġ" is the space byte.
nlohmann::json tiny_tokenizer_json() {
  return nlohmann::json::parse(R"({
    "added_tokens": [
      {"id": 20, "content": "<s>", "special": true, "normalized": false},
      {"id": 21, "content": "<L>", "special": true, "lstrip": true, "normalized": false},
      {"id": 22, "content": "<R>", "special": true, "rstrip": true, "normalized": false},
      {"id": 23, "content": "<R><L>", "special": false, "normalized": false},
      {"id": 24, "content": "cab", "special": false, "single_word": true, "normalized": false}
    ],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [20], "tokens": ["<s>"]}}},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "ignore_merges": false,
      "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "bc": 5, "abc": 6, "Ġa": 7, "aa": 8,
                "<": 9, ">": 10, "L": 11, "R": 12},
      "merges": ["b c", "a b", "Ġ a", "a a"]}
  })");
}

BpeTokenizer make(const nlohmann::json& json, const TokenizerConfig& config = {}) {
  return BpeTokenizer(json, config, "tiny tokenizer.json");
}

TEST(BpeTokenizer, MergesApplyByRankNotByPosition) {
  const auto tokenizer = make(tiny_tokenizer_json());
  // "abc": (b,c) has rank 0 < (a,b) rank 1, so b+c merges first and "a bc" has no merge.
  EXPECT_EQ(tokenizer.encode("abc"), (Ids{0, 5}));
  EXPECT_EQ(tokenizer.encode("ab"), (Ids{4}));
  // " ab": (Ġ,a) rank 2, (a,b) rank 1 → "Ġ ab".
  EXPECT_EQ(tokenizer.encode(" ab"), (Ids{3, 4}));
  EXPECT_EQ(tokenizer.encode(" a"), (Ids{7}));
}

TEST(BpeTokenizer, EqualRanksMergeLeftmostFirst) {
  const auto tokenizer = make(tiny_tokenizer_json());
  EXPECT_EQ(tokenizer.encode("aaa"), (Ids{8, 0}));
  EXPECT_EQ(tokenizer.encode("aaaa"), (Ids{8, 8}));
}

TEST(BpeTokenizer, IgnoreMergesTakesWholeWordTokens) {
  auto json = tiny_tokenizer_json();
  json["model"]["ignore_merges"] = true;
  EXPECT_EQ(make(json).encode("abc"), (Ids{6}));  // "abc" is a token: no merging at all
  EXPECT_EQ(make(json).encode("abca"), (Ids{0, 5, 0}));
}

TEST(BpeTokenizer, MergePairsAndStringsAreTheSame) {
  auto json = tiny_tokenizer_json();
  json["model"]["merges"] = nlohmann::json::parse(R"([["b", "c"], ["a", "b"], ["Ġ", "a"], ["a", "a"]])");
  const auto pairs = make(json);
  const auto strings = make(tiny_tokenizer_json());
  for (const std::string text : {"abc", " aab", "aaa bc", "cab ab"}) {
    EXPECT_EQ(pairs.encode(text), strings.encode(text)) << text;
  }
}

TEST(BpeTokenizer, AddedTokensStripAndMatchLongest) {
  const auto tokenizer = make(tiny_tokenizer_json());
  EXPECT_EQ(tokenizer.encode("a <L>b"), (Ids{0, 21, 1}));   // lstrip eats " "
  EXPECT_EQ(tokenizer.encode("a<R> b"), (Ids{0, 22, 1}));   // rstrip eats " "
  EXPECT_EQ(tokenizer.encode("<R><L>"), (Ids{23}));         // longest match wins
  EXPECT_EQ(tokenizer.encode("<s>a"), (Ids{20, 0}));
  // single_word: "cab" only matches outside words.
  EXPECT_EQ(tokenizer.encode("cab"), (Ids{24}));
  EXPECT_EQ(tokenizer.encode("acab"), (Ids{0, 2, 4}));  // inside a word: a, c, then a+b
}

TEST(BpeTokenizer, SpecialTokensCanBeLeftUnparsed) {
  const auto tokenizer = make(tiny_tokenizer_json());
  // <s> is special: spelled out as "<", then "s" — which is not in the vocabulary and,
  // without unk_token, is dropped (HF's behaviour) — then ">".
  EXPECT_EQ(tokenizer.encode("<s>", /*parse_special=*/false), (Ids{9, 10}));
  EXPECT_EQ(tokenizer.encode("<R><L>", /*parse_special=*/false), (Ids{23}));  // not special
}

TEST(BpeTokenizer, BosFromTemplateUnlessConfigSaysOtherwise) {
  const auto from_template = make(tiny_tokenizer_json());
  EXPECT_EQ(from_template.bos_id(), 20);
  EXPECT_TRUE(from_template.adds_bos());
  EXPECT_FALSE(from_template.eos_id().has_value());

  TokenizerConfig config;
  config.add_bos_token = false;
  config.eos_token = "<R>";
  const auto configured = make(tiny_tokenizer_json(), config);
  EXPECT_EQ(configured.bos_id(), 20);
  EXPECT_FALSE(configured.adds_bos());
  EXPECT_EQ(configured.eos_id(), 22);

  auto no_template = tiny_tokenizer_json();
  no_template["post_processor"] = nullptr;
  EXPECT_FALSE(make(no_template).adds_bos());
  EXPECT_FALSE(make(no_template).bos_id().has_value());
}

TEST(BpeTokenizer, DecodeMapsBytesBackAndKeepsAddedTokenText) {
  const auto tokenizer = make(tiny_tokenizer_json());
  EXPECT_EQ(tokenizer.decode(Ids{7, 5, 3, 21, 20}), " abc <L><s>");
  EXPECT_EQ(tokenizer.id_to_token(7), "\xC4\xA0" "a");  // "Ġa"
  EXPECT_EQ(tokenizer.token_to_id("<R><L>"), 23);
  EXPECT_EQ(tokenizer.vocab_size(), 25u);
}

}  // namespace
}  // namespace swan
