// Added tokens of a HF tokenizer.json ("added_tokens": <|im_start|>, <think>, ...): they are
// found in the text before normalization and pre-tokenization and map to their id whole.
// Matching is leftmost-longest like HF's AddedVocabulary, with its options:
//  - special: a control token; skipped when the caller does not parse special tokens;
//  - lstrip / rstrip: the match swallows whitespace to its left / right;
//  - single_word: only matches when not inside a word;
//  - normalized: matched on normalized text (pass 2) instead of the raw text (pass 1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace swan {

struct AddedToken {
  std::int32_t id = 0;
  std::string content;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
  bool normalized = false;
};

// A run of text, either plain (id < 0) or one added token.
struct TextSegment {
  std::string_view text;
  std::int32_t id = -1;

  bool is_token() const { return id >= 0; }
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // Only tokens with normalized == `normalized_pass` take part in this matcher.
  AddedTokenMatcher(const std::vector<AddedToken>& tokens, bool normalized_pass);

  bool empty() const { return tokens_.empty(); }
  // Appends the segments of `text` (valid UTF-8) to `out`; plain segments are never empty.
  // Special tokens are matched only when `parse_special` is true.
  void split(std::string_view text, bool parse_special, std::vector<TextSegment>& out) const;

 private:
  std::vector<AddedToken> tokens_;
  // Token indices by first byte, longest content first: leftmost-longest is the first
  // candidate that matches at the leftmost position.
  std::vector<std::vector<std::size_t>> by_first_byte_ = std::vector<std::vector<std::size_t>>(256);
};

}  // namespace swan
