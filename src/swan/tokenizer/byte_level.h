// GPT-2's byte ↔ unicode alphabet, used by every byte-level BPE (GPT-2, Llama-3, Qwen):
// each of the 256 byte values is shown as one printable unicode character so that BPE
// vocabularies can be stored as text. Printable Latin-1 bytes map to themselves; the other
// 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map to U+0100.. in byte order, e.g. ' ' → 'Ġ'.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace swan::byte_level {

// The code point that stands for byte `b`.
char32_t byte_to_code_point(std::uint8_t b);
// The byte that code point `c` stands for, or nullopt if `c` is not in the alphabet.
std::optional<std::uint8_t> code_point_to_byte(char32_t c);

// `bytes` written in the alphabet (UTF-8), e.g. " hi" → "Ġhi".
std::string encode(std::string_view bytes);
// The bytes behind text written in the alphabet. Characters outside the alphabet are kept
// as their own UTF-8 bytes (HF's decoder does the same). Returns nullopt for invalid UTF-8.
std::optional<std::string> decode(std::string_view text);

}  // namespace swan::byte_level
