// GPT-2's byte alphabet, checked against entries worked out by hand from its definition:
// printable Latin-1 maps to itself; the 68 other bytes are numbered from U+0100 in order
// (0x00-0x20 → U+0100-U+0120, 0x7F-0xA0 → U+0121-U+0142, 0xAD → U+0143).
#include <gtest/gtest.h>

#include <set>

#include "swan/tokenizer/byte_level.h"

namespace swan {
namespace {

TEST(ByteLevel, HandWorkedEntries) {
  EXPECT_EQ(byte_level::byte_to_code_point('!'), U'!');
  EXPECT_EQ(byte_level::byte_to_code_point('~'), U'~');
  EXPECT_EQ(byte_level::byte_to_code_point(0x00), U'\u0100');
  EXPECT_EQ(byte_level::byte_to_code_point('\n'), U'\u010A');  // "Ċ"
  EXPECT_EQ(byte_level::byte_to_code_point(' '), U'\u0120');   // "Ġ"
  EXPECT_EQ(byte_level::byte_to_code_point(0x7F), U'\u0121');
  EXPECT_EQ(byte_level::byte_to_code_point(0xA0), U'\u0142');
  EXPECT_EQ(byte_level::byte_to_code_point(0xA1), U'\u00A1');
  EXPECT_EQ(byte_level::byte_to_code_point(0xAD), U'\u0143');
  EXPECT_EQ(byte_level::byte_to_code_point(0xFF), U'\u00FF');
}

TEST(ByteLevel, IsABijectionOnBytes) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t c = byte_level::byte_to_code_point(static_cast<std::uint8_t>(b));
    EXPECT_TRUE(seen.insert(c).second) << b;
    EXPECT_EQ(byte_level::code_point_to_byte(c), b);
  }
  EXPECT_FALSE(byte_level::code_point_to_byte(U'\u0144').has_value());
  EXPECT_FALSE(byte_level::code_point_to_byte(U' ').has_value());  // space is shown as Ġ
}

TEST(ByteLevel, EncodesAndDecodesStrings) {
  EXPECT_EQ(byte_level::encode(" hi\n"), "\xC4\xA0hi\xC4\x8A");  // "Ġhi" + "Ċ"
  EXPECT_EQ(byte_level::encode("\xC3\xA9"), "\xC3\x83\xC2\xA9");   // é's bytes: "Ã©"
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  EXPECT_EQ(byte_level::decode(byte_level::encode(all_bytes)), all_bytes);
  EXPECT_FALSE(byte_level::decode("\xFF").has_value());  // not UTF-8
}

}  // namespace
}  // namespace swan
