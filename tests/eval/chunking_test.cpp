// Which tokens llama.cpp's perplexity protocol scores, checked by hand on small contexts.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "swan/core/error.h"
#include "swan/eval/chunking.h"

namespace swan::eval {
namespace {

std::vector<std::int32_t> sequence(std::size_t n, std::int32_t start = 100) {
  std::vector<std::int32_t> tokens(n);
  std::iota(tokens.begin(), tokens.end(), start);
  return tokens;
}

TEST(Chunking, CountsForCommonContexts) {
  // ctx 256: rows 128..254 scored → 127 per chunk; ctx 512 → 255 (as llama-perplexity).
  const auto p256 = plan_chunks(20000, 256, std::nullopt);
  EXPECT_EQ(p256.chunk_count, 78u);  // 20000 / 256, the partial chunk dropped
  EXPECT_EQ(p256.first_scored_row(), 128u);
  EXPECT_EQ(p256.scored_per_chunk(), 127u);
  EXPECT_EQ(plan_chunks(20000, 256, 40).tokens_scored(), 40u * 127u);
  EXPECT_EQ(plan_chunks(20000, 512, std::nullopt).scored_per_chunk(), 255u);
  EXPECT_EQ(plan_chunks(20000, 256, 1000).chunk_count, 78u);  // --chunks above the maximum
  EXPECT_EQ(plan_chunks(256, 256, std::nullopt).chunk_count, 1u);
}

TEST(Chunking, OddContextScoresRowsFromHalfwayToTheSecondLast) {
  // ctx 5: first = 2; rows 2 and 3 predict the chunk's tokens 3 and 4.
  const auto tokens = sequence(12);
  const auto plan = plan_chunks(tokens.size(), 5, std::nullopt);
  EXPECT_EQ(plan.chunk_count, 2u);
  EXPECT_EQ(plan.scored_per_chunk(), 2u);
  EXPECT_EQ(scored_target(tokens, plan, 0, 2), 103);
  EXPECT_EQ(scored_target(tokens, plan, 0, 3), 104);
  EXPECT_EQ(scored_target(tokens, plan, 1, 2), 108);
  EXPECT_EQ(scored_target(tokens, plan, 1, 3), 109);
  EXPECT_THROW(scored_target(tokens, plan, 0, 1), Error);  // first half is context only
  EXPECT_THROW(scored_target(tokens, plan, 0, 4), Error);  // last row has no target in the chunk
}

TEST(Chunking, ChunkInputReplacesOnlyTheFirstTokenWithBos) {
  const auto tokens = sequence(10);
  const auto plan = plan_chunks(tokens.size(), 4, std::nullopt);
  EXPECT_EQ(chunk_input(tokens, plan, 1, 1), (std::vector<std::int32_t>{1, 105, 106, 107}));
  EXPECT_EQ(chunk_input(tokens, plan, 1, std::nullopt), (std::vector<std::int32_t>{104, 105, 106, 107}));
  EXPECT_EQ(plan.chunk_count, 2u);
  EXPECT_EQ(plan.scored_per_chunk(), 1u);  // ctx 4: only row 2, predicting token 3
}

TEST(Chunking, TooShortTextSaysHowManyTokensAndWhichContextFits) {
  try {
    plan_chunks(100, 256, std::nullopt);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("only 100 tokens"), std::string::npos) << message;
    EXPECT_NE(message.find("--ctx 64"), std::string::npos) << message;
  }
  EXPECT_THROW(plan_chunks(1000, 2, std::nullopt), Error);
  EXPECT_THROW(plan_chunks(1000, 16, 0), Error);
  EXPECT_THROW(plan_chunks(2, 16, std::nullopt), Error);
}

}  // namespace
}  // namespace swan::eval
