#include "swan/tokenizer/byte_level.h"

#include <unordered_map>

#include "swan/tokenizer/utf8.h"

namespace swan::byte_level {
namespace {

struct Alphabet {
  std::array<char32_t, 256> code_point_of{};
  std::unordered_map<char32_t, std::uint8_t> byte_of;

  Alphabet() {
    // Bytes that are printable Latin-1 keep their own code point; the rest are numbered
    // from U+0100 in byte order. This is the table GPT-2 introduced and every byte-level
    // BPE vocabulary is written in.
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      code_point_of[b] = printable(b) ? static_cast<char32_t>(b) : next++;
      byte_of.emplace(code_point_of[b], static_cast<std::uint8_t>(b));
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

char32_t byte_to_code_point(std::uint8_t b) { return alphabet().code_point_of[b]; }

std::optional<std::uint8_t> code_point_to_byte(char32_t c) {
  const auto& table = alphabet().byte_of;
  const auto found = table.find(c);
  if (found == table.end()) return std::nullopt;
  return found->second;
}

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char b : bytes) utf8::append(out, byte_to_code_point(static_cast<std::uint8_t>(b)));
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    const auto c = utf8::next_code_point(text, pos);
    if (!c) return std::nullopt;
    if (const auto b = code_point_to_byte(*c)) {
      out.push_back(static_cast<char>(*b));
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

}  // namespace swan::byte_level
