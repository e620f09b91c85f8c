// Broken tokenizer files and inputs must give a swan::Error that names the problem, never a
// crash or a silently different tokenizer.
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/tokenizer/bpe_tokenizer.h"
#include "tokenizer/tokenizer_fixtures.h"

namespace swan::test {
namespace {

nlohmann::json valid_json() {
  return nlohmann::json::parse(R"({
    "added_tokens": [{"id": 5, "content": "<eos>", "special": true, "normalized": false}],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true},
    "decoder": {"type": "ByteLevel"},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3}, "merges": ["a b"]}
  })");
}

// Runs load_tokenizer on a directory holding `tokenizer_json` and returns the error text.
std::string load_error(const std::string& tokenizer_json, const std::string& config = "") {
  ScratchDir dir;
  { std::ofstream(dir / "tokenizer.json") << tokenizer_json; }
  if (!config.empty()) std::ofstream(dir / "tokenizer_config.json") << config;
  try {
    load_tokenizer(dir.path());
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

std::string with(const std::string& pointer, const nlohmann::json& value) {
  auto json = valid_json();
  json[nlohmann::json::json_pointer(pointer)] = value;
  return json.dump();
}

std::string without(const std::string& key) {
  auto json = valid_json();
  json.erase(key);
  return json.dump();
}

TEST(MalformedTokenizer, ValidBaselineLoads) {
  EXPECT_EQ(load_error(valid_json().dump()), "");
}

TEST(MalformedTokenizer, MissingOrBrokenModel) {
  EXPECT_NE(load_error(without("model")).find("no \"model\""), std::string::npos);
  EXPECT_NE(load_error(with("/model/vocab", "abc")).find("model.vocab"), std::string::npos);
  EXPECT_NE(load_error(with("/model/vocab/a", -1)).find("model.vocab"), std::string::npos);
  EXPECT_NE(load_error(with("/model/merges", nullptr)).find("model.merges"), std::string::npos);
  EXPECT_NE(load_error(with("/model/type", "Unigram")).find("Unigram"), std::string::npos);
}

TEST(MalformedTokenizer, BadMerges) {
  EXPECT_NE(load_error(with("/model/merges", {"ab"})).find("merges[0]"), std::string::npos);
  EXPECT_NE(load_error(with("/model/merges", {"a b c"})).find("merges[0]"), std::string::npos);
  EXPECT_NE(load_error(with("/model/merges", {{"a"}})).find("merges[0]"), std::string::npos);
  EXPECT_NE(load_error(with("/model/merges", {42})).find("merges[0]"), std::string::npos);
  const auto unknown = load_error(with("/model/merges", {"a b", "a z"}));
  EXPECT_NE(unknown.find("merges[1]"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("\"z\""), std::string::npos) << unknown;
  // Both parts known, but their concatenation is not a token.
  EXPECT_NE(load_error(with("/model/merges", {"b a"})).find("\"ba\""), std::string::npos);
}

TEST(MalformedTokenizer, UnsupportedPipelineSteps) {
  EXPECT_NE(load_error(with("/normalizer", {{"type", "Lowercase"}})).find("Lowercase"), std::string::npos);
  EXPECT_NE(load_error(with("/pre_tokenizer", {{"type", "Metaspace"}})).find("Metaspace"), std::string::npos);
  EXPECT_NE(load_error(with("/pre_tokenizer", nullptr)).find("ByteLevel"), std::string::npos);
  EXPECT_NE(load_error(with("/decoder", {{"type", "WordPiece"}})).find("decoder"), std::string::npos);
  EXPECT_NE(load_error(with("/added_tokens/0/id", "five")).find("added_tokens[0]"), std::string::npos);
}

TEST(MalformedTokenizer, BadJsonFilesAndDirectories) {
  EXPECT_NE(load_error("{\"model\": ").find("not valid JSON"), std::string::npos);
  // A real tokenizer.json cut in half.
  const auto real = read_text_file(shared_path("models/qwen3-tiny-5.8m/tokenizer.json"));
  EXPECT_NE(load_error(real.substr(0, real.size() / 2)).find("not valid JSON"), std::string::npos);
  EXPECT_NE(load_error(valid_json().dump(), "{\"add_bos_token\": \"yes\"}").find("add_bos_token"),
            std::string::npos);
  EXPECT_NE(load_error(valid_json().dump(), "{\"bos_token\": \"<nope>\"}").find("<nope>"),
            std::string::npos);
  ScratchDir empty;
  EXPECT_THROW(load_tokenizer(empty.path()), Error);
  EXPECT_THROW(load_tokenizer(empty / "missing"), Error);
}

TEST(MalformedTokenizer, BadInputsToEncodeAndDecode) {
  const BpeTokenizer tokenizer(valid_json(), {}, "test");
  EXPECT_THROW(tokenizer.encode("ab\xFF"), Error);          // not UTF-8
  EXPECT_THROW(tokenizer.encode("\xC0\x80"), Error);        // overlong NUL
  EXPECT_THROW(tokenizer.decode(std::vector<std::int32_t>{0, 4}), Error);  // id 4 unused
  EXPECT_THROW(tokenizer.decode(std::vector<std::int32_t>{-1}), Error);
  EXPECT_THROW(tokenizer.decode(std::vector<std::int32_t>{6}), Error);
  EXPECT_EQ(tokenizer.decode(std::vector<std::int32_t>{2, 3, 5}), "ab <eos>");
}

// 100,000 nested arrays used to overflow the stack after parsing (copies, dumps, destructor).
TEST(MalformedTokenizer, DeeplyNestedFilesAreRefusedByName) {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  auto json = valid_json().dump();
  json.insert(json.size() - 1, ",\"extra\":" + deep);
  EXPECT_NE(load_error(json).find("nests deeper"), std::string::npos);
  const auto message = load_error(valid_json().dump(), "{\"chat_template\":" + deep + "}");
  EXPECT_NE(message.find("tokenizer_config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("nests deeper"), std::string::npos) << message;
}

}  // namespace
}  // namespace swan::test
