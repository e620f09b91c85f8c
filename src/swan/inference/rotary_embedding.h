// Rotary position embeddings in transformers' "rotate_half" layout: within each head,
// element i is paired with element i + head_dim/2 and the pair is rotated by
// position * inv_freq[i]. Inverse frequencies follow transformers' float32 computation,
// with "linear" and "llama3" rope_scaling.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "swan/model/architecture.h"

namespace swan::inference {

// inv_freq[i] = 1 / theta^(2i / head_dim), i < head_dim / 2, then scaled per `scaling`.
std::vector<float> rope_inverse_frequencies(std::size_t head_dim, double theta, const model::RopeScaling& scaling);

// cos / sin of position * inv_freq for positions first_position .. first_position + tokens - 1:
// [tokens, head_dim / 2] each (row t is position first_position + t).
struct RopeTable {
  std::size_t tokens = 0;
  std::size_t half = 0;  // head_dim / 2
  std::vector<float> cos;
  std::vector<float> sin;
};
RopeTable make_rope_table(std::span<const float> inverse_frequencies, std::size_t tokens,
                          std::size_t first_position = 0);

// Rotates every head of x ([tokens, heads * head_dim], token t at the table's row t) in place.
void apply_rope(const RopeTable& table, std::span<float> x, std::size_t tokens, std::size_t heads);
// The same for the `heads` heads of one token (table row `token`) at x, on the calling thread.
void apply_rope_token(const RopeTable& table, std::size_t token, float* x, std::size_t heads);

}  // namespace swan::inference
