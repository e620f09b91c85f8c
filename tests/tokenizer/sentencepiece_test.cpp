// SentencePiece (stories260k's tokenizer.model) through load_tokenizer, against the ids in
// shared/models/stories260k/README.md.
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/tokenizer/sentencepiece_tokenizer.h"

namespace swan::test {
namespace {

const Tokenizer& stories_tokenizer() {
  static const auto tokenizer = load_tokenizer(shared_path("models/stories260k"));
  return *tokenizer;
}

TEST(SentencePieceTokenizer, Stories260kLoadsWithBos) {
  const auto& tokenizer = stories_tokenizer();
  ASSERT_NE(dynamic_cast<const SentencePieceTokenizer*>(&tokenizer), nullptr);
  EXPECT_EQ(tokenizer.vocab_size(), 512u);
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  EXPECT_TRUE(tokenizer.adds_bos());  // tokenizer_config.json: add_bos_token true
}

TEST(SentencePieceTokenizer, Stories260kReadmeSentence) {
  const std::string text = "Once upon a time, there was a little girl named Lily.";
  const std::vector<std::int32_t> expected = {403, 407, 261, 378, 432, 383, 286, 261,
                                              376, 298, 315, 421, 395, 317, 426};
  EXPECT_EQ(stories_tokenizer().encode(text), expected);
  EXPECT_EQ(stories_tokenizer().encode(text, /*parse_special=*/false), expected);
  EXPECT_EQ(stories_tokenizer().decode(expected), text);
}

TEST(SentencePieceTokenizer, PiecesAndByteFallback) {
  const auto& sp = dynamic_cast<const SentencePieceTokenizer&>(stories_tokenizer());
  EXPECT_EQ(sp.id_to_piece(0), "<unk>");
  EXPECT_EQ(sp.id_to_piece(3), "<0x00>");  // README: ids 3-258 are byte pieces
  EXPECT_EQ(sp.id_to_piece(259), "\xE2\x96\x81t");  // "▁t"
  // A character outside the 512-piece vocabulary falls back to its UTF-8 bytes: "日" is
  // E6 97 A5, i.e. pieces <0xE6> <0x97> <0xA5> = ids 3 + 0xE6, 3 + 0x97, 3 + 0xA5.
  const auto ids = sp.encode("\xE6\x97\xA5");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(std::vector<std::int32_t>(ids.end() - 3, ids.end()),
            (std::vector<std::int32_t>{3 + 0xE6, 3 + 0x97, 3 + 0xA5}));
  EXPECT_EQ(sp.decode(ids), "\xE6\x97\xA5");
}

TEST(SentencePieceTokenizer, RoundTripsStoryText) {
  const std::string text = "Lily and Ben went to the park. They saw a big dog!\nIt was 3 o'clock.";
  EXPECT_EQ(stories_tokenizer().decode(stories_tokenizer().encode(text)), text);
}

TEST(SentencePieceTokenizer, PreferredOverANonByteLevelTokenizerJson) {
  // Llama-2-style directories also ship a Metaspace tokenizer.json; tokenizer.model wins.
  ScratchDir dir;
  std::filesystem::copy_file(shared_path("models/stories260k/tokenizer.model"), dir / "tokenizer.model");
  std::ofstream(dir / "tokenizer.json") << R"({"pre_tokenizer": {"type": "Metaspace"},
      "model": {"type": "BPE", "vocab": {}, "merges": []}})";
  const auto tokenizer = load_tokenizer(dir.path());
  EXPECT_NE(dynamic_cast<const SentencePieceTokenizer*>(tokenizer.get()), nullptr);
  EXPECT_TRUE(tokenizer->adds_bos());  // no tokenizer_config.json: LlamaTokenizer's default
  EXPECT_EQ(tokenizer->encode("Lily."), stories_tokenizer().encode("Lily."));
}

TEST(SentencePieceTokenizer, RejectsOutOfRangeIdsAndBadModels) {
  const std::vector<std::int32_t> bad = {5, 512};
  EXPECT_THROW(stories_tokenizer().decode(bad), Error);
  ScratchDir dir;
  { std::ofstream(dir / "tokenizer.model") << "not a protobuf"; }
  EXPECT_THROW(load_tokenizer(dir.path()), Error);
}

}  // namespace
}  // namespace swan::test
