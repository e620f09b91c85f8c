// GGUF tokenizer keys -> swan tokenizer; see tokenizer_from_metadata.h.
#include "swan/gguf/tokenizer_from_metadata.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <set>
#include <string_view>

#include "swan/core/error.h"
#include "swan/gguf/reader.h"
#include "swan/io/json_excerpt.h"
#include "swan/tokenizer/bpe_tokenizer.h"
#include "swan/tokenizer/sentencepiece_model_proto.h"
#include "swan/tokenizer/sentencepiece_tokenizer.h"

namespace swan::gguf {
namespace {

// llama.cpp's token types (llama.h), the same numbers as SentencePiece's piece types.
constexpr std::int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kByte = 6;

// The split patterns llama.cpp's llama-vocab.cpp uses for these pre-tokenizer names, which
// are the Split regexes of the models' own tokenizer.json files.
constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

class Keys {
 public:
  Keys(const Metadata& metadata, std::string_view where) : metadata_(metadata), where_(where) {}

  const Value* find(const std::string& key, ValueType type) const {
    const Value* v = metadata_.find(key);
    if (v == nullptr) return nullptr;
    if (v->type != type) fail("{}: key {} has type {}, expected {}", where_, key, value_type_name(v->type), value_type_name(type));
    return v;
  }
  const std::vector<Scalar>& array(const std::string& key, ValueType element, bool required) const {
    static const std::vector<Scalar> empty;
    const Value* v = find(key, ValueType::ARRAY);
    if (v == nullptr) {
      if (required) fail("{}: key {} is missing; the file has no tokenizer to run (give --tokenizer DIR)", where_, key);
      return empty;
    }
    if (v->element_type != element)
      fail("{}: key {} is an array of {}, expected {}", where_, key, value_type_name(v->element_type), value_type_name(element));
    return v->elements;
  }
  std::string string(const std::string& key) const {
    const Value* v = find(key, ValueType::STRING);
    if (v == nullptr) fail("{}: key {} is missing; the file has no tokenizer to run (give --tokenizer DIR)", where_, key);
    return std::get<std::string>(v->scalar);
  }
  std::optional<std::int32_t> id(const std::string& key, std::size_t tokens) const {
    const Value* v = find(key, ValueType::UINT32);
    if (v == nullptr) return std::nullopt;
    const auto id = std::get<std::uint32_t>(v->scalar);
    if (id >= tokens) fail("{}: {} is {}, beyond the {} tokens", where_, key, id, tokens);
    return static_cast<std::int32_t>(id);
  }
  std::optional<bool> flag(const std::string& key) const {
    const Value* v = find(key, ValueType::BOOL);
    if (v == nullptr) return std::nullopt;
    return std::get<bool>(v->scalar);
  }

 private:
  const Metadata& metadata_;
  std::string_view where_;
};

nlohmann::json split_then_byte_level(const char* pattern) {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
            {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}};
}

std::unique_ptr<Tokenizer> bpe_tokenizer(const Keys& keys, const std::vector<std::string>& tokens,
                                         const std::vector<std::int32_t>& types, TokenizerConfig config,
                                         std::string_view where) {
  const std::string pre = keys.string("tokenizer.ggml.pre");
  nlohmann::json json;
  nlohmann::json model{{"type", "BPE"}, {"byte_fallback", false}, {"ignore_merges", false}};
  if (pre == "qwen2") {
    json["normalizer"] = {{"type", "NFC"}};
    json["pre_tokenizer"] = split_then_byte_level(kQwen2Pattern);
  } else if (pre == "llama-bpe") {
    json["pre_tokenizer"] = split_then_byte_level(kLlama3Pattern);
    model["ignore_merges"] = true;
  } else if (pre == "gpt2" || pre == "default") {
    json["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  } else {
    fail("{}: tokenizer.ggml.pre is {}, a pre-tokenizer swan does not know (it knows qwen2, llama-bpe, gpt2); give "
         "--tokenizer DIR, the HF directory the file was made from",
         where, text_excerpt(pre));
  }
  json["decoder"] = {{"type", "ByteLevel"}};
  nlohmann::json vocab = nlohmann::json::object();
  nlohmann::json added = nlohmann::json::array();
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const std::int32_t type = types.empty() ? kNormal : types[id];
    if (type == kControl || type == kUserDefined)
      added.push_back({{"id", id},
                       {"content", tokens[id]},
                       {"special", type == kControl},
                       {"normalized", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"single_word", false}});
    else
      vocab[tokens[id]] = id;
  }
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& m : keys.array("tokenizer.ggml.merges", ValueType::STRING, true)) merges.push_back(std::get<std::string>(m));
  model["vocab"] = std::move(vocab);
  model["merges"] = std::move(merges);
  json["model"] = std::move(model);
  json["added_tokens"] = std::move(added);
  if (!config.add_bos_token) config.add_bos_token = false;
  return std::make_unique<BpeTokenizer>(json, config, where);
}

std::unique_ptr<Tokenizer> sentencepiece_tokenizer(const Keys& keys, const std::vector<std::string>& tokens,
                                                   const std::vector<std::int32_t>& types, TokenizerConfig config,
                                                   std::string_view where) {
  const auto& scores = keys.array("tokenizer.ggml.scores", ValueType::FLOAT32, false);
  if (!scores.empty() && scores.size() != tokens.size())
    fail("{}: tokenizer.ggml.scores has {} entries for {} tokens", where, scores.size(), tokens.size());
  SentencePieceModelSpec spec;
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const std::int32_t type = types.empty() ? kNormal : types[id];
    if (type < kNormal || type > kByte) fail("{}: token {} has type {}, not one of llama.cpp's 1-6", where, id, type);
    spec.pieces.push_back({tokens[id], scores.empty() ? 0.0f : std::get<float>(scores[id]), static_cast<PieceType>(type)});
    if (type == kUnknown && !spec.unk_id) spec.unk_id = static_cast<std::int32_t>(id);
  }
  // What libsentencepiece needs of a vocabulary, checked here so that a hostile file is refused
  // with its token named: non-empty unique pieces, byte pieces spelled <0xHH>.
  std::set<std::string_view> seen;
  for (std::size_t id = 0; id < spec.pieces.size(); ++id) {
    const auto& p = spec.pieces[id];
    if (p.piece.empty()) fail("{}: token {} is empty; a SentencePiece vocabulary has no empty pieces", where, id);
    if (!seen.insert(p.piece).second)
      fail("{}: token {} ({}) appears twice in tokenizer.ggml.tokens", where, id, text_excerpt(p.piece));
    const bool byte_spelling = p.piece.size() == 6 && p.piece.starts_with("<0x") && p.piece.back() == '>' &&
                               std::isxdigit(static_cast<unsigned char>(p.piece[3])) &&
                               std::isxdigit(static_cast<unsigned char>(p.piece[4]));
    if (p.type == PieceType::byte && !byte_spelling)
      fail("{}: token {} ({}) has type BYTE but is not spelled <0xHH>", where, id, text_excerpt(p.piece));
  }
  if (const auto unk = keys.id("tokenizer.ggml.unknown_token_id", tokens.size())) spec.unk_id = unk;
  if (!spec.unk_id || types.empty() || types[static_cast<std::size_t>(*spec.unk_id)] != kUnknown)
    fail("{}: the SentencePiece vocabulary has no UNKNOWN-type token (tokenizer.ggml.token_type); it cannot run", where);
  spec.bos_id = keys.id("tokenizer.ggml.bos_token_id", tokens.size());
  spec.eos_id = keys.id("tokenizer.ggml.eos_token_id", tokens.size());
  spec.pad_id = keys.id("tokenizer.ggml.padding_token_id", tokens.size());
  spec.add_dummy_prefix = keys.flag("tokenizer.ggml.add_space_prefix").value_or(true);
  if (!config.add_bos_token) config.add_bos_token = true;
  return SentencePieceTokenizer::from_serialized(serialize_sentencepiece_model(spec), config, where);
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_metadata(const Metadata& metadata, std::string_view where) {
  const Keys keys(metadata, where);
  const std::string model = keys.string("tokenizer.ggml.model");
  std::vector<std::string> tokens;
  for (const auto& t : keys.array("tokenizer.ggml.tokens", ValueType::STRING, true)) tokens.push_back(std::get<std::string>(t));
  if (tokens.empty()) fail("{}: tokenizer.ggml.tokens is empty", where);
  std::vector<std::int32_t> types;
  for (const auto& t : keys.array("tokenizer.ggml.token_type", ValueType::INT32, false)) types.push_back(std::get<std::int32_t>(t));
  if (!types.empty() && types.size() != tokens.size())
    fail("{}: tokenizer.ggml.token_type has {} entries for {} tokens", where, types.size(), tokens.size());

  TokenizerConfig config;
  config.add_bos_token = keys.flag("tokenizer.ggml.add_bos_token");
  if (const auto bos = keys.id("tokenizer.ggml.bos_token_id", tokens.size())) config.bos_token = tokens[static_cast<std::size_t>(*bos)];
  if (const auto eos = keys.id("tokenizer.ggml.eos_token_id", tokens.size())) config.eos_token = tokens[static_cast<std::size_t>(*eos)];
  if (model == "gpt2") return bpe_tokenizer(keys, tokens, types, config, where);
  if (model == "llama") return sentencepiece_tokenizer(keys, tokens, types, config, where);
  fail("{}: tokenizer.ggml.model is {}; swan runs gpt2 (byte-level BPE) and llama (SentencePiece) tokenizers; give "
       "--tokenizer DIR, the HF directory the file was made from",
       where, text_excerpt(model));
}

std::unique_ptr<Tokenizer> load_gguf_tokenizer(const std::filesystem::path& path) {
  const GgufFile file(path);
  return tokenizer_from_metadata(file.metadata(), path.string());
}

}  // namespace swan::gguf
