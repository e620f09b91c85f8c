// UTF-8 decoding delegates to utf8proc, which rejects overlong forms and surrogates exactly
// as the regex engine and the normalizer do.
#include "swan/tokenizer/utf8.h"

#include <utf8proc.h>

namespace swan::utf8 {

std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::optional<char32_t> next_code_point(std::string_view text, std::size_t& pos) {
  if (pos >= text.size()) return std::nullopt;
  utf8proc_int32_t code_point = 0;
  const auto length = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                                        static_cast<utf8proc_ssize_t>(text.size() - pos), &code_point);
  if (length <= 0) return std::nullopt;
  pos += static_cast<std::size_t>(length);
  return static_cast<char32_t>(code_point);
}

void append(std::string& out, char32_t code_point) {
  utf8proc_uint8_t buffer[4];
  const auto length = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(length));
}

std::optional<std::size_t> first_invalid(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {  // ASCII fast path
      ++pos;
      continue;
    }
    if (!next_code_point(text, pos)) return pos;
  }
  return std::nullopt;
}

}  // namespace swan::utf8
