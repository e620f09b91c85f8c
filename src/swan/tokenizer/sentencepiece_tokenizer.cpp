#include "swan/tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/io/input_file.h"

namespace swan {

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path& model_path,
                                               const TokenizerConfig& config)
    : processor_(std::make_unique<sentencepiece::SentencePieceProcessor>()) {
  if (!std::filesystem::exists(model_path)) {
    fail("SentencePiece model {} does not exist", model_path.string());
  }
  require_regular_file(model_path, "SentencePiece tokenizer.model");
  const auto status = processor_->Load(model_path.string());
  if (!status.ok()) {
    fail("cannot load SentencePiece model {}: {}", model_path.string(), status.ToString());
  }
  set_special_tokens(config, model_path.string());
}

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::from_serialized(const std::string& model_proto,
                                                                                const TokenizerConfig& config,
                                                                                std::string_view where) {
  std::unique_ptr<SentencePieceTokenizer> tokenizer(new SentencePieceTokenizer());
  tokenizer->processor_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = tokenizer->processor_->LoadFromSerializedProto(model_proto);
  if (!status.ok()) fail("{}: the vocabulary is not a valid SentencePiece model: {}", where, status.ToString());
  tokenizer->set_special_tokens(config, where);
  return tokenizer;
}

void SentencePieceTokenizer::set_special_tokens(const TokenizerConfig& config, std::string_view where) {
  const auto resolve = [&](const std::optional<std::string>& name, int model_id,
                           const char* what) -> std::optional<std::int32_t> {
    if (name) {
      const int id = processor_->PieceToId(*name);
      if (processor_->IdToPiece(id) != *name) {
        fail("{}: {} {} is not a piece of this model", where, what, text_excerpt(*name));
      }
      return id;
    }
    if (model_id < 0) return std::nullopt;
    return model_id;
  };
  set_special_ids(resolve(config.bos_token, processor_->bos_id(), "bos_token"),
                  resolve(config.eos_token, processor_->eos_id(), "eos_token"),
                  config.add_bos_token.value_or(true));
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<std::int32_t> SentencePieceTokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  const auto status = processor_->Encode(text, &ids);
  if (!status.ok()) fail("SentencePiece encode failed: {}", status.ToString());
  return {ids.begin(), ids.end()};
}

std::string SentencePieceTokenizer::decode(std::span<const std::int32_t> ids) const {
  // libsentencepiece aborts on out-of-range ids; check them first.
  const auto size = vocab_size();
  for (const std::int32_t id : ids) {
    if (id < 0 || static_cast<std::size_t>(id) >= size) {
      fail("cannot decode token id {}: not in the vocabulary (size {})", id, size);
    }
  }
  std::string text;
  const auto status = processor_->Decode(std::vector<int>(ids.begin(), ids.end()), &text);
  if (!status.ok()) fail("SentencePiece decode failed: {}", status.ToString());
  return text;
}

std::size_t SentencePieceTokenizer::vocab_size() const {
  return static_cast<std::size_t>(processor_->GetPieceSize());
}

std::string SentencePieceTokenizer::id_to_piece(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= vocab_size()) {
    fail("token id {} is not in the vocabulary (size {})", id, vocab_size());
  }
  return processor_->IdToPiece(id);
}

}  // namespace swan
