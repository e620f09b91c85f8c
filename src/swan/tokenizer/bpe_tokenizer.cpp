#include "swan/tokenizer/bpe_tokenizer.h"

#include <limits>

#include <algorithm>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/tokenizer/byte_level.h"
#include "swan/tokenizer/json_file.h"
#include "swan/tokenizer/utf8.h"

namespace swan {
namespace {

std::vector<AddedToken> parse_added_tokens(const nlohmann::json& tokenizer_json, std::string_view where) {
  std::vector<AddedToken> tokens;
  if (!tokenizer_json.contains("added_tokens") || tokenizer_json["added_tokens"].is_null()) return tokens;
  const auto& list = tokenizer_json["added_tokens"];
  if (!list.is_array()) fail("{}: \"added_tokens\" must be an array", where);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_number_integer() ||
        entry["id"].get<std::int64_t>() < 0 ||
        entry["id"].get<std::int64_t>() > std::numeric_limits<std::int32_t>::max() || !entry.contains("content") ||
        !entry["content"].is_string()) {
      fail("{}: added_tokens[{}] needs an integer \"id\" in [0, 2^31) and a string \"content\"", where, i);
    }
    AddedToken token;
    token.id = entry["id"].get<std::int32_t>();
    token.content = entry["content"].get<std::string>();
    token.special = entry.value("special", false);
    token.lstrip = entry.value("lstrip", false);
    token.rstrip = entry.value("rstrip", false);
    token.single_word = entry.value("single_word", false);
    token.normalized = entry.value("normalized", !token.special);  // HF's default
    tokens.push_back(std::move(token));
  }
  return tokens;
}

// The token a TemplateProcessing post-processor puts in front of a single sequence (the BOS
// of Llama-3-style tokenizer.json files), found through Sequence processors.
std::optional<std::string> template_prefix_token(const nlohmann::json& processor) {
  if (!processor.is_object()) return std::nullopt;
  const auto type = processor.value("type", std::string());
  if (type == "Sequence" && processor.contains("processors") && processor["processors"].is_array()) {
    for (const auto& inner : processor["processors"]) {
      if (auto token = template_prefix_token(inner)) return token;
    }
    return std::nullopt;
  }
  if (type != "TemplateProcessing" || !processor.contains("single")) return std::nullopt;
  const auto& single = processor["single"];
  if (!single.is_array() || single.empty() || !single[0].is_object()) return std::nullopt;
  const auto& first = single[0];
  if (!first.contains("SpecialToken") || !first["SpecialToken"].is_object()) return std::nullopt;
  const auto& special = first["SpecialToken"];
  if (!special.contains("id") || !special["id"].is_string()) return std::nullopt;
  return special["id"].get<std::string>();
}

void check_decoder(const nlohmann::json& decoder, std::string_view where) {
  if (decoder.is_null()) return;
  const auto type = decoder.is_object() ? decoder.value("type", std::string()) : std::string();
  if (type == "ByteLevel") return;
  if (type == "Sequence" && decoder.contains("decoders") && decoder["decoders"].is_array()) {
    for (const auto& inner : decoder["decoders"]) check_decoder(inner, where);
    return;
  }
  fail("{}: decoder {} is not supported by swan for byte-level BPE (expected ByteLevel)", where,
       json_excerpt(decoder));
}

}  // namespace

bool BpeTokenizer::is_byte_level_bpe(const nlohmann::json& tokenizer_json) {
  if (!tokenizer_json.is_object() || !tokenizer_json.contains("model") ||
      !tokenizer_json["model"].is_object()) {
    return false;
  }
  if (tokenizer_json["model"].value("type", std::string("BPE")) != "BPE") return false;
  // Look for a ByteLevel step anywhere in the pre-tokenizer.
  const auto has_byte_level = [](const auto& self, const nlohmann::json& spec) -> bool {
    if (!spec.is_object()) return false;
    if (spec.value("type", std::string()) == "ByteLevel") return true;
    if (spec.contains("pretokenizers") && spec["pretokenizers"].is_array()) {
      for (const auto& inner : spec["pretokenizers"]) {
        if (self(self, inner)) return true;
      }
    }
    return false;
  };
  return tokenizer_json.contains("pre_tokenizer") && has_byte_level(has_byte_level, tokenizer_json["pre_tokenizer"]);
}

BpeTokenizer::BpeTokenizer(const nlohmann::json& tokenizer_json, const TokenizerConfig& config,
                           std::string_view where) {
  if (!tokenizer_json.is_object()) fail("{}: expected a JSON object", where);
  if (!tokenizer_json.contains("model")) {
    fail("{}: no \"model\" section; this is not a HuggingFace tokenizer.json", where);
  }
  const auto section = [&](const char* key) {
    return tokenizer_json.contains(key) ? tokenizer_json[key] : nlohmann::json();
  };
  normalizer_ = Normalizer::from_json(section("normalizer"), where);
  pre_tokenizer_ = PreTokenizer::from_json(section("pre_tokenizer"), where);
  if (!pre_tokenizer_.is_byte_level()) {
    fail("{}: the pre_tokenizer has no ByteLevel step; swan reads only byte-level BPE "
         "tokenizer.json files (use tokenizer.model for SentencePiece models)",
         where);
  }
  check_decoder(section("decoder"), where);
  model_ = std::make_unique<BpeModel>(tokenizer_json["model"], where);

  added_tokens_ = parse_added_tokens(tokenizer_json, where);
  vocab_size_ = model_->size();
  for (std::size_t i = 0; i < added_tokens_.size(); ++i) {
    added_by_id_[added_tokens_[i].id] = i;
    vocab_size_ = std::max(vocab_size_, static_cast<std::size_t>(added_tokens_[i].id) + 1);
  }
  raw_matcher_ = AddedTokenMatcher(added_tokens_, /*normalized_pass=*/false);
  normalized_matcher_ = AddedTokenMatcher(added_tokens_, /*normalized_pass=*/true);

  // BOS / EOS: tokenizer_config.json names them; else the post-processor's template prefix.
  const auto template_bos = template_prefix_token(section("post_processor"));
  const auto resolve = [&](const std::optional<std::string>& name, const char* what) -> std::optional<std::int32_t> {
    if (!name) return std::nullopt;
    const auto id = token_to_id(*name);
    if (!id) fail("{}: {} {} is not a token of this tokenizer", where, what, text_excerpt(*name));
    return id;
  };
  const auto bos_name = config.bos_token ? config.bos_token : template_bos;
  const bool adds_bos = config.add_bos_token.value_or(template_bos.has_value());
  set_special_ids(resolve(bos_name, "bos_token"), resolve(config.eos_token, "eos_token"), adds_bos);
}

std::unique_ptr<BpeTokenizer> BpeTokenizer::from_file(const std::filesystem::path& tokenizer_json_path) {
  const auto json = read_tokenizer_json(tokenizer_json_path);
  const auto config = read_tokenizer_config(tokenizer_json_path.parent_path() / "tokenizer_config.json");
  return std::make_unique<BpeTokenizer>(json, config, tokenizer_json_path.string());
}

std::vector<std::int32_t> BpeTokenizer::encode(std::string_view text) const {
  return encode_text(text, /*parse_special=*/true);
}

std::vector<std::int32_t> BpeTokenizer::encode_ordinary(std::string_view text) const {
  return encode_text(text, /*parse_special=*/false);
}

std::vector<std::int32_t> BpeTokenizer::encode_text(std::string_view text, bool parse_special) const {
  if (const auto bad = utf8::first_invalid(text)) {
    fail("cannot tokenize: text is not valid UTF-8 (invalid byte sequence at offset {})", *bad);
  }
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3);
  std::vector<TextSegment> segments;
  raw_matcher_.split(text, parse_special, segments);
  for (const auto& segment : segments) {
    if (segment.is_token()) {
      ids.push_back(segment.id);
    } else {
      encode_plain(segment.text, parse_special, ids);
    }
  }
  return ids;
}

void BpeTokenizer::encode_plain(std::string_view text, bool parse_special,
                                std::vector<std::int32_t>& out) const {
  const std::string normalized = normalizer_.apply(text);
  std::vector<TextSegment> segments;
  if (normalized_matcher_.empty()) {
    segments.push_back({normalized, -1});
  } else {
    normalized_matcher_.split(normalized, parse_special, segments);
  }
  for (const auto& segment : segments) {
    if (segment.is_token()) {
      out.push_back(segment.id);
      continue;
    }
    for (const auto& word : pre_tokenizer_.split(segment.text)) model_->encode_word(word, out);
  }
}

std::string BpeTokenizer::decode(std::span<const std::int32_t> ids) const {
  std::string text;
  for (const std::int32_t id : ids) {
    if (const auto added = added_by_id_.find(id); added != added_by_id_.end()) {
      text += added_tokens_[added->second].content;  // added tokens are stored as plain text
      continue;
    }
    const std::string* token = model_->id_to_token(id);
    if (token == nullptr) fail("cannot decode token id {}: not in the vocabulary (size {})", id, vocab_size_);
    const auto bytes = byte_level::decode(*token);
    SWAN_CHECK(bytes.has_value(), "vocabulary token {} is not valid UTF-8", id);
    text += *bytes;
  }
  return text;
}

std::optional<std::int32_t> BpeTokenizer::token_to_id(std::string_view token) const {
  for (const auto& added : added_tokens_) {
    if (added.content == token) return added.id;
  }
  return model_->token_to_id(token);
}

std::string BpeTokenizer::id_to_token(std::int32_t id) const {
  if (const auto added = added_by_id_.find(id); added != added_by_id_.end()) {
    return added_tokens_[added->second].content;
  }
  const std::string* token = model_->id_to_token(id);
  if (token == nullptr) fail("token id {} is not in the vocabulary (size {})", id, vocab_size_);
  return *token;
}

}  // namespace swan
