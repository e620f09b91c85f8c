#include "swan/eval/chunking.h"

#include "swan/core/error.h"

namespace swan::eval {

ChunkPlan plan_chunks(std::size_t token_count, std::size_t ctx, std::optional<std::size_t> max_chunks) {
  if (ctx < 3) fail("context of {} tokens is too small: at least 3 are needed to score one token per chunk", ctx);
  if (token_count < ctx) {
    std::size_t fits = 4;
    while (fits * 2 <= token_count) fits *= 2;
    if (token_count < 4) {
      fail("the text tokenizes to only {} tokens, too few for one chunk of {} tokens: use a longer text",
           token_count, ctx);
    }
    fail("the text tokenizes to only {} tokens, too few for one chunk of {} tokens: use a longer text or "
         "--ctx {} (any context up to {} fits one chunk)",
         token_count, ctx, fits, token_count);
  }
  if (max_chunks && *max_chunks == 0) fail("--chunks 0 evaluates nothing: give at least 1 (or omit it for all)");
  ChunkPlan plan;
  plan.ctx = ctx;
  plan.token_count = token_count;
  plan.chunk_count = token_count / ctx;
  if (max_chunks && *max_chunks < plan.chunk_count) plan.chunk_count = *max_chunks;
  return plan;
}

std::vector<std::int32_t> chunk_input(std::span<const std::int32_t> tokens, const ChunkPlan& plan, std::size_t index,
                                      std::optional<std::int32_t> bos) {
  SWAN_CHECK(index < plan.chunk_count, "chunk {} of {}", index, plan.chunk_count);
  SWAN_CHECK(tokens.size() >= plan.tokens_covered(), "{} tokens for {} chunks of {}", tokens.size(),
             plan.chunk_count, plan.ctx);
  const auto begin = tokens.begin() + static_cast<std::ptrdiff_t>(index * plan.ctx);
  std::vector<std::int32_t> input(begin, begin + static_cast<std::ptrdiff_t>(plan.ctx));
  if (bos) input[0] = *bos;
  return input;
}

std::int32_t scored_target(std::span<const std::int32_t> tokens, const ChunkPlan& plan, std::size_t index,
                           std::size_t row) {
  SWAN_CHECK(row >= plan.first_scored_row() && row + 1 < plan.ctx, "row {} is not scored with ctx {}", row, plan.ctx);
  return tokens[index * plan.ctx + row + 1];
}

}  // namespace swan::eval
