// SentencePiece ModelProto serialization; see sentencepiece_model_proto.h. Field numbers are
// those of sentencepiece_model.proto (ModelProto: pieces 1, trainer_spec 2, normalizer_spec 3;
// SentencePiece: piece 1, score 2, type 3; TrainerSpec: model_type 3, vocab_size 4,
// byte_fallback 35, unk/bos/eos/pad_id 40-43, unk/bos/eos/pad_piece 45-48; NormalizerSpec:
// name 1, add_dummy_prefix 3, remove_extra_whitespaces 4, escape_whitespaces 5).
#include "swan/tokenizer/sentencepiece_model_proto.h"

#include <algorithm>
#include <cstring>

namespace swan {
namespace {

enum WireType : std::uint32_t { kVarint = 0, kLengthDelimited = 2, kFixed32 = 5 };
constexpr std::uint64_t kBpeModel = 2;  // TrainerSpec.ModelType.BPE

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, std::uint32_t field, WireType wire) { put_varint(out, (std::uint64_t{field} << 3) | wire); }

void put_bytes(std::string& out, std::uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

// int32 fields are varints of the sign-extended 64-bit value (negative ids take 10 bytes).
void put_int(std::string& out, std::uint32_t field, std::int64_t value) {
  put_key(out, field, kVarint);
  put_varint(out, static_cast<std::uint64_t>(value));
}

void put_float(std::string& out, std::uint32_t field, float value) {
  put_key(out, field, kFixed32);
  std::uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

}  // namespace

std::string serialize_sentencepiece_model(const SentencePieceModelSpec& spec) {
  std::string model;
  for (const auto& p : spec.pieces) {
    std::string piece;
    put_bytes(piece, 1, p.piece);
    put_float(piece, 2, p.score);
    put_int(piece, 3, static_cast<std::int32_t>(p.type));
    put_bytes(model, 1, piece);
  }
  const auto piece_text = [&](std::optional<std::int32_t> id) -> std::optional<std::string> {
    if (!id || *id < 0 || static_cast<std::size_t>(*id) >= spec.pieces.size()) return std::nullopt;
    return spec.pieces[static_cast<std::size_t>(*id)].piece;
  };
  const bool byte_fallback = std::any_of(spec.pieces.begin(), spec.pieces.end(),
                                         [](const SentencePiece& p) { return p.type == PieceType::byte; });
  std::string trainer;
  put_int(trainer, 3, kBpeModel);
  put_int(trainer, 4, static_cast<std::int64_t>(spec.pieces.size()));
  if (byte_fallback) put_int(trainer, 35, 1);
  // An id the vocabulary lacks is -1 ("none"); the piece names let the processor find them.
  const std::pair<std::optional<std::int32_t>, std::uint32_t> ids[] = {
      {spec.unk_id, 40}, {spec.bos_id, 41}, {spec.eos_id, 42}, {spec.pad_id, 43}};
  for (const auto& [id, field] : ids) {
    const auto text = piece_text(id);
    put_int(trainer, field, text ? *id : -1);
    if (text) put_bytes(trainer, field + 5, *text);
  }
  put_bytes(model, 2, trainer);
  std::string normalizer;
  put_bytes(normalizer, 1, "identity");
  put_int(normalizer, 3, spec.add_dummy_prefix ? 1 : 0);
  put_int(normalizer, 4, 0);  // keep extra whitespace, as llama.cpp does
  put_int(normalizer, 5, 1);
  put_bytes(model, 3, normalizer);
  return model;
}

}  // namespace swan
