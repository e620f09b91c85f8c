// SentencePiece tokenizer (tokenizer.model of Llama-2-style models, e.g. stories260k),
// a thin wrapper over libsentencepiece so that ids match the reference implementation.
// The model file's normalizer (add_dummy_prefix, byte_fallback, ...) applies as written.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "swan/tokenizer/tokenizer.h"
#include "swan/tokenizer/tokenizer_config.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace swan {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  // Loads `model_path`. BOS/EOS come from tokenizer_config.json when it names them, else from
  // the model; BOS is added unless the config says add_bos_token: false (HF's LlamaTokenizer
  // default). Throws swan::Error if the file is missing or not a SentencePiece model.
  SentencePieceTokenizer(const std::filesystem::path& model_path, const TokenizerConfig& config);
  // A model given as a serialized ModelProto (sentencepiece_model_proto.h); `where` names its
  // origin in error messages. BOS/EOS and add_bos as above.
  static std::unique_ptr<SentencePieceTokenizer> from_serialized(const std::string& model_proto,
                                                                 const TokenizerConfig& config, std::string_view where);
  ~SentencePieceTokenizer() override;

  using Tokenizer::encode;
  // SentencePiece never matches control-token text such as "<s>", so encode() is already
  // what encode_ordinary() promises.
  std::vector<std::int32_t> encode(std::string_view text) const override;
  std::string decode(std::span<const std::int32_t> ids) const override;
  std::size_t vocab_size() const override;

  // The piece text of `id` (e.g. "▁Lily"). Throws for ids out of range.
  std::string id_to_piece(std::int32_t id) const;

 private:
  SentencePieceTokenizer() = default;
  void set_special_tokens(const TokenizerConfig& config, std::string_view where);

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

}  // namespace swan
