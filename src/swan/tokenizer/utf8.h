// Minimal UTF-8 helpers for the tokenizers: decoding one code point, encoding one, and
// validating a whole string (PCRE2 and utf8proc both require valid UTF-8).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace swan::utf8 {

// Length in bytes of the UTF-8 sequence starting with `lead` (1 for invalid lead bytes,
// so callers always make progress).
std::size_t sequence_length(unsigned char lead);
// The code point at text[pos], advancing pos; nullopt (pos unchanged) for invalid UTF-8.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& pos);
void append(std::string& out, char32_t code_point);
// Byte offset of the first invalid UTF-8 sequence, or nullopt if `text` is valid.
std::optional<std::size_t> first_invalid(std::string_view text);

}  // namespace swan::utf8
