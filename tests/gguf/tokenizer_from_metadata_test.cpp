// The tokenizer rebuilt from a GGUF file's tokenizer.* keys (gguf/tokenizer_from_metadata.h)
// against the tokenizer swan builds from the HF files those keys were written from: the same
// ids, special ids and add_bos, for byte-level BPE (qwen3-tiny's tokenizer.json, Qwen3's and
// Llama-3's trimmed tokenizers on llama.cpp's vocab goldens) and SentencePiece (stories260k's
// tokenizer.model); and through a whole GGUF file written by `swan convert --format gguf`.
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/gguf/model_writer.h"
#include "swan/gguf/tokenizer_from_metadata.h"
#include "swan/gguf/tokenizer_metadata.h"
#include "tokenizer/tokenizer_fixtures.h"

namespace swan::gguf {
namespace {

using test::fixture_path;

model::ModelConfig config_of(model::Architecture architecture) {
  model::ModelConfig config;
  config.architecture = architecture;
  return config;
}

// The tokenizer keys swan's writer puts into a GGUF file for the HF directory `dir`.
Metadata tokenizer_keys(const std::filesystem::path& dir, model::Architecture architecture, std::size_t rows) {
  Metadata m;
  add_tokenizer_metadata(m, dir, config_of(architecture), rows);
  return m;
}

// A directory holding only `tokenizer_json` and an empty config.json.
std::filesystem::path tokenizer_only_dir(const test::ScratchDir& scratch, const std::filesystem::path& tokenizer_json) {
  std::filesystem::copy_file(tokenizer_json, scratch.path() / "tokenizer.json");
  std::ofstream(scratch.path() / "config.json") << "{}";
  return scratch.path();
}

std::string tinystories_text() {
  return test::read_text_file(fixture_path("data/tinystories-valid-head/tinystories_valid_head100.txt"));
}

void expect_same_tokenizer(const Tokenizer& from_gguf, const Tokenizer& reference, const std::string& text) {
  // A BOS the tokenizer never adds may differ: the converter takes config.json's bos_token_id
  // where tokenizer_config.json says bos_token null (qwen3-tiny); it is never used then.
  EXPECT_EQ(from_gguf.adds_bos(), reference.adds_bos());
  if (reference.adds_bos()) EXPECT_EQ(from_gguf.bos_id(), reference.bos_id());
  EXPECT_EQ(from_gguf.eos_id(), reference.eos_id());
  const auto ids = reference.encode(text);
  ASSERT_GT(ids.size(), 1000u);
  EXPECT_EQ(from_gguf.encode(text), ids);
  EXPECT_EQ(from_gguf.decode(ids), reference.decode(ids));
}

TEST(TokenizerFromMetadata, ByteLevelBpeOfQwen3TinyEqualsItsTokenizerJson) {
  const auto dir = fixture_path("models/qwen3-tiny-5.8m");
  const auto reference = load_tokenizer(dir);
  const auto keys = tokenizer_keys(dir, model::Architecture::Qwen3, reference->vocab_size());
  const auto from_gguf = tokenizer_from_metadata(keys, "qwen3-tiny keys");
  EXPECT_EQ(from_gguf->vocab_size(), reference->vocab_size());
  expect_same_tokenizer(*from_gguf, *reference, tinystories_text());
  // Special-token text is matched as in the tokenizer.json (CONTROL tokens become added tokens).
  const std::string chat = "<|im_start|>user\nHello <think>there</think><|im_end|>";
  EXPECT_EQ(from_gguf->encode(chat), reference->encode(chat));
  EXPECT_EQ(from_gguf->encode(chat, false), reference->encode(chat, false));
}

TEST(TokenizerFromMetadata, SentencePieceOfStories260kEqualsItsTokenizerModel) {
  const auto dir = fixture_path("models/stories260k");
  const auto reference = load_tokenizer(dir);
  const auto keys = tokenizer_keys(dir, model::Architecture::Llama, reference->vocab_size());
  const auto from_gguf = tokenizer_from_metadata(keys, "stories260k keys");
  EXPECT_EQ(from_gguf->vocab_size(), reference->vocab_size());
  EXPECT_TRUE(from_gguf->adds_bos());
  expect_same_tokenizer(*from_gguf, *reference, tinystories_text());
  // Bytes outside the 512 pieces fall back to <0xNN> pieces, as in tokenizer.model.
  const std::string rare = "Zürich — 東京 🙂";
  EXPECT_EQ(from_gguf->encode(rare), reference->encode(rare));
  EXPECT_EQ(from_gguf->decode(from_gguf->encode(rare)), rare);
}

void expect_llamacpp_golden(const std::string& tokenizer_json, model::Architecture architecture, const std::string& stem) {
  const test::ScratchDir scratch;
  const auto dir = tokenizer_only_dir(scratch, fixture_path(tokenizer_json));
  const auto reference = load_tokenizer(dir);
  const auto from_gguf =
      tokenizer_from_metadata(tokenizer_keys(dir, architecture, reference->vocab_size()), stem + " keys");
  const auto cases = test::read_llamacpp_cases(stem);
  ASSERT_EQ(cases.size(), 46u);
  int matched = 0;
  for (const auto& c : cases) {
    const auto ids = from_gguf->encode(c.text, /*parse_special=*/false);
    EXPECT_EQ(ids, c.ids) << stem << ": \"" << c.text << "\"";
    matched += ids == c.ids;
  }
  EXPECT_EQ(matched, 46);
}

TEST(TokenizerFromMetadata, Qwen2PreTokenizerMatchesLlamaCppGolden) {
  expect_llamacpp_golden("tokenizers/qwen3/tokenizer.json", model::Architecture::Qwen3, "qwen2");
}

TEST(TokenizerFromMetadata, LlamaBpePreTokenizerMatchesLlamaCppGolden) {
  expect_llamacpp_golden("tokenizers/llama3/tokenizer.json", model::Architecture::Llama, "llama-bpe");
}

TEST(TokenizerFromMetadata, AGgufFileCarriesItsTokenizer) {
  const test::ScratchDir scratch;
  const auto dir = fixture_path("models/stories260k");
  GgufWriteOptions options;
  options.choice.preset = Preset::Q4_K_M;
  const auto file = scratch.path() / "stories.gguf";
  write_gguf_model(ModelDirectory(dir), file, options);
  const auto from_file = load_gguf_tokenizer(file);
  expect_same_tokenizer(*from_file, *load_tokenizer(dir), tinystories_text());
}

TEST(TokenizerFromMetadata, RefusesWhatItCannotRun) {
  const auto dir = fixture_path("models/qwen3-tiny-5.8m");
  const auto good = tokenizer_keys(dir, model::Architecture::Qwen3, 4096);
  auto expect_refused = [](const Metadata& m, const std::string& needle) {
    try {
      tokenizer_from_metadata(m, "test keys");
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  Metadata m = good;
  m.erase("tokenizer.ggml.model");
  expect_refused(m, "tokenizer.ggml.model is missing");
  m = good;
  m.set("tokenizer.ggml.pre", Value::string("deepseek-llm"));
  expect_refused(m, "a pre-tokenizer swan does not know");
  m = good;
  m.set("tokenizer.ggml.model", Value::string("bert"));
  expect_refused(m, "tokenizer.ggml.model is");
  m = good;
  m.set("tokenizer.ggml.token_type", Value::array(ValueType::INT32, {std::int32_t{1}}));
  expect_refused(m, "token_type has 1 entries");
  m = good;
  m.set("tokenizer.ggml.bos_token_id", Value::u32(99999));
  expect_refused(m, "beyond the");
  m = good;
  m.set("tokenizer.ggml.merges", Value::u32(3));
  expect_refused(m, "has type UINT32");

  // SentencePiece vocabularies libsentencepiece could not run, refused naming the token.
  const auto sp = tokenizer_keys(fixture_path("models/stories260k"), model::Architecture::Llama, 512);
  const auto with_token = [&](std::size_t id, const std::string& text) {
    Metadata changed = sp;
    auto tokens = changed.find("tokenizer.ggml.tokens")->elements;
    tokens[id] = text;
    changed.set("tokenizer.ggml.tokens", Value::array(ValueType::STRING, tokens));
    return changed;
  };
  expect_refused(with_token(300, "<s>"), "appears twice");
  expect_refused(with_token(300, ""), "is empty");
  expect_refused(with_token(3, "<0xZZ>"), "has type BYTE but is not spelled");  // id 3 is <0x00>
  m = sp;
  auto types = m.find("tokenizer.ggml.token_type")->elements;
  types[0] = std::int32_t{1};  // <unk> no longer UNKNOWN
  m.set("tokenizer.ggml.token_type", Value::array(ValueType::INT32, types));
  expect_refused(m, "no UNKNOWN-type token");
}

}  // namespace
}  // namespace swan::gguf
