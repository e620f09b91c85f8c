// A compiled PCRE2 regular expression for pre-tokenizer patterns (HF tokenizers use
// Oniguruma; PCRE2 with UTF + UCP gives the same classes: \p{L}, \p{N}, Unicode \s).
// JIT-compiled when the platform allows it. Safe to share between threads.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace swan {

struct RegexMatch {
  std::size_t begin = 0;  // byte offsets into the searched text
  std::size_t end = 0;
};

class Regex {
 public:
  // Throws swan::Error naming `where` (e.g. "tokenizer.json pre_tokenizer") if `pattern`
  // does not compile.
  Regex(std::string_view pattern, std::string_view where);
  ~Regex();
  Regex(Regex&& other) noexcept;
  Regex& operator=(Regex&& other) noexcept;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // All non-overlapping, non-empty matches in `text`, left to right. `text` must be valid
  // UTF-8 (checked by the caller once per encode, not here, for speed).
  std::vector<RegexMatch> find_all(std::string_view text) const;

 private:
  void* code_ = nullptr;  // pcre2_code_8*, opaque here to keep pcre2.h out of the header
};

}  // namespace swan
