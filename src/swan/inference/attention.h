// Causal multi-head attention with grouped key/value heads (GQA) over a whole sequence
// starting at position 0 (prefill; no KV cache). Blocked by query rows: for each
// (head, block of queries) one sgemm forms the scores against only the keys the block can
// see, a masked softmax runs per row, and a second sgemm applies them to the values.
// Work items are shared among the threads of an OpenMP team, each sgemm single-threaded.
#pragma once

#include <cstddef>
#include <span>

namespace swan::inference {

struct AttentionShape {
  std::size_t tokens = 0;
  std::size_t heads = 0;     // query heads
  std::size_t kv_heads = 0;  // heads / kv_heads query heads share one key/value head
  std::size_t head_dim = 0;
};

// q: [tokens, heads * head_dim] (rotated), k / v: [tokens, kv_heads * head_dim] (k rotated);
// out: [tokens, heads * head_dim]. Scores are scaled by 1 / sqrt(head_dim).
// In its own parallel region (one thread for small problems).
void causal_attention(const AttentionShape& shape, std::span<const float> q, std::span<const float> k,
                      std::span<const float> v, std::span<float> out);

// The same as a team kernel (team.h); check_attention_shape() first.
void causal_attention_in_team(const AttentionShape& shape, std::span<const float> q, std::span<const float> k,
                              std::span<const float> v, std::span<float> out);

// Throws swan::Error unless the sizes fit `shape` (kv_values: keys, and values, of the new tokens).
void check_attention_shape(const AttentionShape& shape, std::size_t q_values, std::size_t kv_values,
                           std::size_t out_values);

}  // namespace swan::inference
