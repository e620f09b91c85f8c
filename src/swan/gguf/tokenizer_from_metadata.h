// The tokenizer a GGUF file carries, rebuilt from its tokenizer.* keys (the inverse of
// tokenizer_metadata.h), so `swan generate` and `swan eval` run a GGUF file on its own:
// - "gpt2" (byte-level BPE): the keys become the tokenizer.json that swan's BPE tokenizer
//   reads — NORMAL/UNUSED/BYTE tokens the vocabulary, CONTROL and USER_DEFINED tokens added
//   tokens (CONTROL special), merges in rank order, and the pre-tokenizer of the
//   tokenizer.ggml.pre name as llama.cpp defines it ("qwen2": Qwen2's split pattern and
//   NFC as Qwen's tokenizer.json has it; "llama-bpe": Llama-3's pattern, merges ignored for
//   whole-vocabulary words; "gpt2"/"default": GPT-2's ByteLevel regex). Other names are
//   refused: their splitting rules are not in the file.
// - "llama" (SentencePiece): tokens, scores and types become a SentencePiece model
//   (tokenizer/sentencepiece_model_proto.h) that libsentencepiece runs.
// BOS/EOS from tokenizer.ggml.bos/eos_token_id; add_bos from tokenizer.ggml.add_bos_token
// (llama.cpp's defaults when absent: true for "llama", false for "gpt2").
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "swan/gguf/format.h"
#include "swan/tokenizer/tokenizer.h"

namespace swan::gguf {

// Throws swan::Error naming `where` and the key for a missing, mistyped or inconsistent key
// (token_type / scores of another length than tokens, an id beyond the tokens, an unknown
// tokenizer model or pre-tokenizer).
std::unique_ptr<Tokenizer> tokenizer_from_metadata(const Metadata& metadata, std::string_view where);

// The tokenizer of the GGUF file at `path`.
std::unique_ptr<Tokenizer> load_gguf_tokenizer(const std::filesystem::path& path);

}  // namespace swan::gguf
