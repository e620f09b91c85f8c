// A SentencePiece model (the protobuf ModelProto that tokenizer.model files hold), built
// from its pieces so that libsentencepiece can run a vocabulary that arrives in another
// form: llama.cpp's GGUF "llama" tokenizer keys (tokens, scores, token types, special ids).
// Only serialization lives here (protobuf wire format written by hand: a few varint,
// fixed32 and length-delimited fields), no tokenization.
//
// The model is what llama.cpp's SPM tokenizer computes for such a vocabulary: a BPE-type
// SentencePiece model (pieces merged by score), byte fallback when the vocabulary has
// <0xNN> byte pieces, the identity normalizer with a dummy "▁" prefix and whitespace escaped
// as "▁", and extra whitespace kept (llama.cpp does not collapse it; a tokenizer.model's
// normalizer may, which only changes texts with runs of spaces).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swan {

// SentencePiece's piece types, the same numbers as llama.cpp's token types.
enum class PieceType : std::int32_t { normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

struct SentencePiece {
  std::string piece;
  float score = 0.0f;
  PieceType type = PieceType::normal;
};

struct SentencePieceModelSpec {
  std::vector<SentencePiece> pieces;  // by id
  std::optional<std::int32_t> unk_id, bos_id, eos_id, pad_id;
  bool add_dummy_prefix = true;
};

// The serialized ModelProto (what SentencePieceProcessor::LoadFromSerializedProto reads).
std::string serialize_sentencepiece_model(const SentencePieceModelSpec& spec);

}  // namespace swan
