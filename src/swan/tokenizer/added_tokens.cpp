#include "swan/tokenizer/added_tokens.h"

#include <utf8proc.h>

#include <algorithm>
#include <optional>

#include "swan/tokenizer/utf8.h"

namespace swan {
namespace {

// Rust's char::is_whitespace (Unicode White_Space), which HF uses for lstrip / rstrip.
bool is_whitespace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

// HF's is_word_character for single_word: alphanumeric or '_'.
bool is_word_character(char32_t c) {
  if (c == '_') return true;
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return (category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_LO) ||
         (category >= UTF8PROC_CATEGORY_ND && category <= UTF8PROC_CATEGORY_NO);
}

// Start of the code point that ends just before byte `pos`.
std::size_t previous_start(std::string_view text, std::size_t pos) {
  std::size_t start = pos - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return start;
}

std::optional<char32_t> code_point_before(std::string_view text, std::size_t pos) {
  if (pos == 0) return std::nullopt;
  std::size_t start = previous_start(text, pos);
  return utf8::next_code_point(text, start);
}

std::optional<char32_t> code_point_at(std::string_view text, std::size_t pos) {
  return utf8::next_code_point(text, pos);
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<AddedToken>& tokens, bool normalized_pass) {
  for (const auto& token : tokens) {
    if (token.normalized == normalized_pass && !token.content.empty()) tokens_.push_back(token);
  }
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  }
  for (auto& candidates : by_first_byte_) {
    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
  }
}

void AddedTokenMatcher::split(std::string_view text, bool parse_special,
                              std::vector<TextSegment>& out) const {
  std::size_t plain_begin = 0;  // start of the pending plain segment
  std::size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* found = nullptr;
    for (const std::size_t index : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      const AddedToken& token = tokens_[index];
      if (token.special && !parse_special) continue;
      if (text.compare(pos, token.content.size(), token.content) != 0) continue;
      if (token.single_word) {
        const auto before = code_point_before(text, pos);
        const auto after = code_point_at(text, pos + token.content.size());
        if ((before && is_word_character(*before)) || (after && is_word_character(*after))) continue;
      }
      found = &token;
      break;
    }
    if (found == nullptr) {
      ++pos;
      continue;
    }
    std::size_t begin = pos;
    std::size_t end = pos + found->content.size();
    if (found->lstrip) {
      while (begin > plain_begin) {
        const std::size_t start = previous_start(text, begin);
        const auto c = code_point_at(text, start);
        if (!c || !is_whitespace(*c)) break;
        begin = start;
      }
    }
    if (found->rstrip) {
      while (end < text.size()) {
        std::size_t next = end;
        const auto c = utf8::next_code_point(text, next);
        if (!c || !is_whitespace(*c)) break;
        end = next;
      }
    }
    if (begin > plain_begin) out.push_back({text.substr(plain_begin, begin - plain_begin), -1});
    out.push_back({text.substr(begin, end - begin), found->id});
    plain_begin = pos = end;
  }
  if (plain_begin < text.size()) {
    out.push_back({text.substr(plain_begin), -1});
  }
}

}  // namespace swan
