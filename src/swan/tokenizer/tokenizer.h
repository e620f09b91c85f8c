// swan's tokenizer interface for evaluation (perplexity / KL-divergence): text → token ids
// and back. Two implementations sit behind it: byte-level BPE read from a HuggingFace
// tokenizer.json (Qwen2/Qwen3, Llama-3, GPT-2) and SentencePiece read from tokenizer.model
// (Llama-2 style). The caller decides whether to prepend BOS; adds_bos() says what the
// model's tokenizer files ask for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace swan {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids of `text`, never with BOS/EOS added. Special-token text (e.g. "<|im_end|>")
  // is matched and becomes its single id, as HF tokenizers do by default.
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  // Like encode(), but text of *special* (control) tokens is tokenized as ordinary text;
  // non-special added tokens are still matched (llama.cpp's parse_special = false).
  // Tokenizers that never match special-token text in encode() need not override it.
  virtual std::vector<std::int32_t> encode_ordinary(std::string_view text) const {
    return encode(text);
  }
  std::vector<std::int32_t> encode(std::string_view text, bool parse_special) const {
    return parse_special ? encode(text) : encode_ordinary(text);
  }

  // The text of `ids` (special tokens included as their text). Throws swan::Error for an
  // id outside [0, vocab_size()).
  virtual std::string decode(std::span<const std::int32_t> ids) const = 0;
  // Number of ids, added tokens included (the largest id + 1).
  virtual std::size_t vocab_size() const = 0;

  std::optional<std::int32_t> bos_id() const { return bos_id_; }
  std::optional<std::int32_t> eos_id() const { return eos_id_; }
  // Whether the model's tokenizer files ask for BOS in front of every sequence
  // (tokenizer_config.json add_bos_token, else tokenizer.json's post_processor).
  bool adds_bos() const { return adds_bos_ && bos_id_.has_value(); }

 protected:
  void set_special_ids(std::optional<std::int32_t> bos, std::optional<std::int32_t> eos,
                       bool adds_bos) {
    bos_id_ = bos;
    eos_id_ = eos;
    adds_bos_ = adds_bos;
  }

 private:
  std::optional<std::int32_t> bos_id_;
  std::optional<std::int32_t> eos_id_;
  bool adds_bos_ = false;
};

// Loads the tokenizer of a model directory: tokenizer.json when it describes a byte-level
// BPE, else tokenizer.model (SentencePiece). tokenizer_config.json, when present, supplies
// add_bos_token and the BOS/EOS tokens. Throws swan::Error for missing or malformed files.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir);

}  // namespace swan
