// The tokenizer.* keys of a GGUF file, built from a HuggingFace model directory the way
// llama.cpp's converter builds them (spec: ../shared/specs/gguf-format.md §5):
// - tokenizer.json with a byte-level BPE model -> "gpt2": tokens in their byte-to-unicode
//   form by id ("[PAD<id>]" UNUSED up to the embedding's rows), types (NORMAL; added tokens
//   CONTROL when special or special-looking, else USER_DEFINED), merges "a b" in rank order,
//   and the pre-tokenizer name by model family (qwen2/qwen3 -> "qwen2", llama -> "llama-bpe");
// - else tokenizer.model (SentencePiece) -> "llama": pieces, scores, types, overlaid by
//   tokenizer_config.json's added_tokens_decoder.
// Special ids come from tokenizer_config.json's *_token names looked up in tokenizer.json's
// added tokens, then config.json's *_token_id for those still unset (the converter's
// order: eos, pad, ... before ids taken from config.json); add_bos/add_eos from
// tokenizer.json's post-processor and tokenizer_config.json; chat_template copied.
#pragma once

#include <cstddef>
#include <filesystem>

#include "swan/gguf/format.h"
#include "swan/model/architecture.h"

namespace swan::gguf {

// Appends the tokenizer keys to `metadata`. `vocab_rows` is the embedding's row count, which
// the token list must match. Throws swan::Error naming the file for a missing or malformed
// tokenizer, or a vocabulary larger than the embedding.
void add_tokenizer_metadata(Metadata& metadata, const std::filesystem::path& model_dir,
                            const model::ModelConfig& config, std::size_t vocab_rows);

}  // namespace swan::gguf
