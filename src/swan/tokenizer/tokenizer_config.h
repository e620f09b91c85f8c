// The parts of a HF tokenizer_config.json that decide how evaluation frames text:
// add_bos_token and the names of the BOS / EOS tokens. A missing file means "not stated",
// so each tokenizer falls back to its own defaults.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace swan {

struct TokenizerConfig {
  std::optional<bool> add_bos_token;
  std::optional<std::string> bos_token;  // token text, e.g. "<s>"; nullopt if absent or null
  std::optional<std::string> eos_token;
};

// Reads `path` if it exists (else returns an empty config). bos_token / eos_token may be
// strings or {"content": ...} objects. Throws swan::Error for malformed JSON or fields.
TokenizerConfig read_tokenizer_config(const std::filesystem::path& path);

}  // namespace swan
