// The evaluation text and its tokens, read the way llama-perplexity reads `-f FILE`: the
// whole file as one string (one trailing newline dropped), tokenized once with special-token
// text treated as plain text, BOS first when the model's tokenizer adds BOS.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swan/tokenizer/tokenizer.h"

namespace swan::eval {

// Throws swan::Error naming the file when it is missing, unreadable or empty.
std::string read_eval_text(const std::filesystem::path& path);

struct EvalTokens {
  std::vector<std::int32_t> tokens;
  std::optional<std::int32_t> bos;  // the model uses BOS: it leads the text and every chunk
};

EvalTokens tokenize_eval_text(const Tokenizer& tokenizer, std::string_view text);

}  // namespace swan::eval
