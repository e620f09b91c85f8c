#include "swan/eval/eval_text.h"

#include <fstream>
#include <sstream>

#include "swan/core/error.h"

namespace swan::eval {

std::string read_eval_text(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    fail("text file {} does not exist (pass a plain-text file with --text, e.g. wiki.test.raw)", path.string());
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in && !in.eof()) fail("cannot read the text file {}", path.string());
  std::string text = contents.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();  // as llama.cpp's -f does
  if (text.empty()) fail("text file {} is empty: there is nothing to evaluate", path.string());
  return text;
}

EvalTokens tokenize_eval_text(const Tokenizer& tokenizer, std::string_view text) {
  EvalTokens result;
  // llama.cpp tokenizes perplexity text with parse_special = false: "<|im_end|>" in a text is
  // just characters.
  const auto ids = tokenizer.encode_ordinary(text);
  if (tokenizer.adds_bos()) {
    result.bos = *tokenizer.bos_id();
    result.tokens.reserve(ids.size() + 1);
    result.tokens.push_back(*result.bos);
  }
  result.tokens.insert(result.tokens.end(), ids.begin(), ids.end());
  return result;
}

}  // namespace swan::eval
