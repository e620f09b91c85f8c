// Byte-level BPE tokenizer read from a HuggingFace tokenizer.json (GPT-2, Llama-3,
// Qwen2/Qwen3). encode() follows the HF pipeline:
//   added tokens on raw text → normalizer → added tokens on normalized text →
//   pre_tokenizer (Split regex, ByteLevel) → BPE per word,
// and decode() reverses the byte alphabet. Reproduces HF's ids exactly on the llama.cpp
// vocab goldens (see tests/tokenizer).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/tokenizer/added_tokens.h"
#include "swan/tokenizer/bpe_model.h"
#include "swan/tokenizer/normalizer.h"
#include "swan/tokenizer/pre_tokenizer.h"
#include "swan/tokenizer/tokenizer.h"
#include "swan/tokenizer/tokenizer_config.h"

namespace swan {

class BpeTokenizer final : public Tokenizer {
 public:
  // `tokenizer_json` is the parsed tokenizer.json, `where` its path for error messages.
  // Throws swan::Error for a missing or malformed model, unsupported pipeline steps, or
  // BOS/EOS names that are not tokens.
  BpeTokenizer(const nlohmann::json& tokenizer_json, const TokenizerConfig& config,
               std::string_view where);
  // Reads `tokenizer_json_path`, and tokenizer_config.json beside it if present.
  static std::unique_ptr<BpeTokenizer> from_file(const std::filesystem::path& tokenizer_json_path);
  // Whether a parsed tokenizer.json describes a byte-level BPE (BPE model + ByteLevel
  // pre-tokenizer), the only kind this class reads.
  static bool is_byte_level_bpe(const nlohmann::json& tokenizer_json);

  using Tokenizer::encode;
  std::vector<std::int32_t> encode(std::string_view text) const override;
  std::vector<std::int32_t> encode_ordinary(std::string_view text) const override;
  std::string decode(std::span<const std::int32_t> ids) const override;
  std::size_t vocab_size() const override { return vocab_size_; }

  // Id of a token given as stored (byte alphabet for model tokens, e.g. "Ġworld"; content
  // for added tokens), or nullopt.
  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  // The stored text of token `id` (e.g. "Ġworld", "<|im_end|>"). Throws for unknown ids.
  std::string id_to_token(std::int32_t id) const;

 private:
  std::vector<std::int32_t> encode_text(std::string_view text, bool parse_special) const;
  void encode_plain(std::string_view text, bool parse_special, std::vector<std::int32_t>& out) const;

  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  std::unique_ptr<BpeModel> model_;
  std::vector<AddedToken> added_tokens_;
  std::unordered_map<std::int32_t, std::size_t> added_by_id_;  // id → index in added_tokens_
  AddedTokenMatcher raw_matcher_;         // added tokens with normalized = false
  AddedTokenMatcher normalized_matcher_;  // added tokens with normalized = true
  std::size_t vocab_size_ = 0;
};

}  // namespace swan
