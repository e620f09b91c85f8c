// How a tokenized text is cut into evaluation windows — llama.cpp's llama-perplexity protocol,
// so that swan's perplexity is comparable with the numbers people quote:
//   1. the whole text is tokenized once, with BOS first when the model's tokenizer adds BOS;
//   2. it is cut into non-overlapping chunks of `ctx` tokens (a trailing partial chunk is
//      dropped; `max_chunks` keeps only the first ones);
//   3. each chunk is evaluated on its own from position 0, its first token replaced by BOS
//      when the model uses BOS;
//   4. only predictions from the second half are scored: logits rows first = ctx/2 … ctx-2,
//      row r predicting the chunk's token r+1, so ctx - 1 - ctx/2 tokens per chunk (127 for
//      ctx 256, 255 for ctx 512). Every scored prediction has seen at least ctx/2 tokens.
// llama.cpp refuses texts shorter than 2·ctx tokens; swan needs only one chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace swan::eval {

struct ChunkPlan {
  std::size_t ctx = 0;          // tokens per chunk (the evaluation context)
  std::size_t chunk_count = 0;  // chunks evaluated
  std::size_t token_count = 0;  // tokens in the whole tokenized text

  // First scored logits row of a chunk.
  std::size_t first_scored_row() const { return ctx / 2; }
  std::size_t scored_per_chunk() const { return ctx - 1 - ctx / 2; }
  std::size_t tokens_scored() const { return chunk_count * scored_per_chunk(); }
  // Tokens of the text that the evaluated chunks cover (the prefix a base-logit file is tied to).
  std::size_t tokens_covered() const { return chunk_count * ctx; }
};

// Plans the chunks for a text of `token_count` tokens. Throws swan::Error when ctx < 3 (no
// token would be scored) or the text has fewer than ctx tokens; the message says how many
// tokens the text has and which --ctx would fit.
ChunkPlan plan_chunks(std::size_t token_count, std::size_t ctx, std::optional<std::size_t> max_chunks);

// The ctx tokens the model sees for chunk `index`: the text's tokens [index·ctx, (index+1)·ctx)
// with the first replaced by `bos` when given.
std::vector<std::int32_t> chunk_input(std::span<const std::int32_t> tokens, const ChunkPlan& plan, std::size_t index,
                                      std::optional<std::int32_t> bos);

// The token that logits row `row` (first_scored_row() ≤ row < ctx-1) of chunk `index` is scored
// against: the text's token index·ctx + row + 1 (never the replaced first token).
std::int32_t scored_target(std::span<const std::int32_t> tokens, const ChunkPlan& plan, std::size_t index,
                           std::size_t row);

}  // namespace swan::eval
