// Shared fixtures of the tokenizer tests: the real tokenizers in ../shared (loaded once per
// test run, since the large tokenizer.json files take a moment to parse) and readers for
// the golden files.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "swan/tokenizer/bpe_tokenizer.h"

namespace swan::test {

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Qwen3's tokenizer (151,669 ids) and Llama-3's (128,256 ids), from shared/tokenizers.
inline const BpeTokenizer& qwen3_tokenizer() {
  static const auto tokenizer = BpeTokenizer::from_file(shared_path("tokenizers/qwen3/tokenizer.json"));
  return *tokenizer;
}
inline const BpeTokenizer& llama3_tokenizer() {
  static const auto tokenizer = BpeTokenizer::from_file(shared_path("tokenizers/llama3/tokenizer.json"));
  return *tokenizer;
}

// One text of a llama.cpp vocab test and the ids the HF tokenizer gives for it.
struct VocabCase {
  std::string text;
  std::vector<std::int32_t> ids;
};

// Reads golden/llamacpp-tokenizer/<stem>.inp / .out (format in that folder's README).
inline std::vector<VocabCase> read_llamacpp_cases(const std::string& stem) {
  const auto dir = shared_path("golden/llamacpp-tokenizer");
  const std::string inputs = read_text_file(dir / (stem + ".inp"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VocabCase> cases;
  for (std::size_t pos = 0; pos < inputs.size();) {
    const auto end = inputs.find(separator, pos);
    if (end == std::string::npos) throw std::runtime_error(stem + ".inp does not end with the separator");
    cases.push_back({inputs.substr(pos, end - pos), {}});
    pos = end + separator.size();
  }
  std::istringstream outputs(read_text_file(dir / (stem + ".out")));
  std::string line;
  for (auto& c : cases) {
    if (!std::getline(outputs, line)) throw std::runtime_error(stem + ".out has fewer lines than texts");
    std::istringstream ids(line);
    for (std::int32_t id; ids >> id;) c.ids.push_back(id);
  }
  return cases;
}

}  // namespace swan::test
