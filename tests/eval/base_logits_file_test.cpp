// The base-logit file: round trip, atomic write, and refusal of files that do not match.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <vector>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/eval/base_logits_file.h"

namespace swan::eval {
namespace {

struct Fixture {
  std::vector<std::int32_t> tokens;
  ChunkPlan plan;
  BaseLogitsHeader header;
  std::vector<std::vector<float>> chunks;

  Fixture() : tokens(40) {
    std::iota(tokens.begin(), tokens.end(), 3);
    plan = plan_chunks(tokens.size(), 8, 3);  // 3 chunks × 3 scored rows
    header = make_base_logits_header(tokens, plan, 5, 1);
    for (std::size_t c = 0; c < plan.chunk_count; ++c) {
      std::vector<float> values(plan.scored_per_chunk() * 5);
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = -0.125f * static_cast<float>(i + 7 * c) - 1e-7f;
      chunks.push_back(values);
    }
  }
  void write(const std::filesystem::path& path) const {
    BaseLogitsWriter writer(path, header);
    for (const auto& chunk : chunks) writer.write_chunk(chunk);
    writer.commit();
  }
};

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BaseLogitsFile, RoundTripIsBitExact) {
  test::ScratchDir scratch;
  const Fixture f;
  f.write(scratch / "base.bin");
  EXPECT_EQ(std::filesystem::file_size(scratch / "base.bin"), 64u + 3u * 3u * 5u * 4u);

  BaseLogitsReader reader(scratch / "base.bin");
  EXPECT_EQ(reader.header().vocab_size, 5u);
  EXPECT_EQ(reader.header().ctx, 8u);
  EXPECT_EQ(reader.header().chunk_count, 3u);
  EXPECT_EQ(reader.header().scored_per_chunk, 3u);
  EXPECT_EQ(reader.header().bos_id, 1);
  EXPECT_EQ(reader.header().token_count, 40u);
  EXPECT_EQ(reader.header().tokens_hash, hash_tokens(std::span(f.tokens).first(24)));
  reader.check_matches(f.header);
  std::vector<float> out(15);
  for (std::size_t c : {2u, 0u, 1u}) {  // random access
    reader.read_chunk(c, out);
    EXPECT_EQ(out, f.chunks[c]);
  }
}

TEST(BaseLogitsFile, HashIsFnv1aOfLittleEndianIds) {
  // FNV-1a 64 of the empty input is the offset basis; of bytes 01 00 00 00, computed by hand
  // from the published constants.
  EXPECT_EQ(hash_tokens({}), 0xcbf29ce484222325ULL);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned byte : {1u, 0u, 0u, 0u}) h = (h ^ byte) * 0x100000001b3ULL;
  const std::vector<std::int32_t> one = {1};
  EXPECT_EQ(hash_tokens(one), h);
  const std::vector<std::int32_t> swapped_a = {1, 2}, swapped_b = {2, 1};
  EXPECT_NE(hash_tokens(swapped_a), hash_tokens(swapped_b));
}

TEST(BaseLogitsFile, RefusesMismatchedRuns) {
  test::ScratchDir scratch;
  const Fixture f;
  f.write(scratch / "base.bin");
  BaseLogitsReader reader(scratch / "base.bin");

  auto other_text = f.tokens;
  other_text[5] = 99;
  const auto different_tokens = make_base_logits_header(other_text, f.plan, 5, 1);
  EXPECT_NE(error_of([&] { reader.check_matches(different_tokens); }).find("different tokens"), std::string::npos);

  // A change past the evaluated chunks does not matter (only chunk_count·ctx tokens are tied).
  auto tail_changed = f.tokens;
  tail_changed[39] = 99;
  reader.check_matches(make_base_logits_header(tail_changed, f.plan, 5, 1));

  EXPECT_NE(error_of([&] { reader.check_matches(make_base_logits_header(f.tokens, f.plan, 6, 1)); }).find("vocabulary"),
            std::string::npos);
  EXPECT_NE(error_of([&] { reader.check_matches(make_base_logits_header(f.tokens, f.plan, 5, -1)); }).find("BOS"),
            std::string::npos);
  const auto fewer = plan_chunks(f.tokens.size(), 8, 2);
  EXPECT_NE(error_of([&] { reader.check_matches(make_base_logits_header(f.tokens, fewer, 5, 1)); }).find("--chunks 3"),
            std::string::npos);
  const auto other_ctx = plan_chunks(f.tokens.size(), 10, 3);
  EXPECT_NE(error_of([&] { reader.check_matches(make_base_logits_header(f.tokens, other_ctx, 5, 1)); }).find("--ctx 8"),
            std::string::npos);
}

TEST(BaseLogitsFile, RefusesTruncatedAndForeignFiles) {
  test::ScratchDir scratch;
  const Fixture f;
  f.write(scratch / "base.bin");
  std::filesystem::resize_file(scratch / "base.bin", 64 + 100);
  EXPECT_NE(error_of([&] { BaseLogitsReader reader(scratch / "base.bin"); }).find("truncated"), std::string::npos);

  std::ofstream(scratch / "text.bin") << "this is not a base-logit file at all, just some text............";
  EXPECT_NE(error_of([&] { BaseLogitsReader reader(scratch / "text.bin"); }).find("not a swan base-logit file"),
            std::string::npos);
  EXPECT_THROW(BaseLogitsReader(scratch / "missing.bin"), Error);
}

TEST(BaseLogitsFile, NothingAppearsUnlessCommitted) {
  test::ScratchDir scratch;
  const Fixture f;
  {
    BaseLogitsWriter writer(scratch / "base.bin", f.header);
    writer.write_chunk(f.chunks[0]);
    // Abandoned (e.g. the evaluation failed): neither the file nor its temporary survives.
  }
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));
  {
    BaseLogitsWriter writer(scratch / "base.bin", f.header);
    writer.write_chunk(f.chunks[0]);
    EXPECT_THROW(writer.commit(), Error);  // 1 of 3 chunks
  }
  EXPECT_FALSE(std::filesystem::exists(scratch / "base.bin"));
}

}  // namespace
}  // namespace swan::eval
