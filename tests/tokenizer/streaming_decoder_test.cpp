// StreamingDecoder: the pieces add up to the whole decode and never end mid-character.
#include "swan/tokenizer/streaming_decoder.h"

#include <gtest/gtest.h>

#include "support/fixtures.h"

namespace swan {
namespace {

bool ends_on_character_boundary(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : 4;
    if (i + length > text.size()) return false;
    i += length;
  }
  return true;
}

void expect_streams_whole_text(const std::filesystem::path& model, const std::string& text) {
  const auto tokenizer = load_tokenizer(model);
  const auto ids = tokenizer->encode(text);
  StreamingDecoder stream(*tokenizer);
  std::string joined;
  for (auto id : ids) {
    const std::string piece = stream.push(id);
    EXPECT_TRUE(ends_on_character_boundary(piece)) << model;
    joined += piece;
  }
  joined += stream.finish();
  EXPECT_EQ(joined, tokenizer->decode(ids)) << model;
}

TEST(StreamingDecoder, ByteLevelBpeSplitsCharactersAcrossTokens) {
  // Emoji and CJK take several byte-level tokens each in a 4096-token vocabulary.
  expect_streams_whole_text(test::source_dir() / "models/qwen3-tiny-5.8m", "Lily saw 🙂 and 日本語, then héllo.");
}

TEST(StreamingDecoder, SentencePieceKeepsItsSpaces) {
  expect_streams_whole_text(test::shared_path("models/stories260k"), "Once upon a time, there was a cat.");
}

}  // namespace
}  // namespace swan
