// The key/value cache of incremental decoding: each layer's rotated keys and values of the
// positions seen so far, so a new token attends to them without recomputing the prefix.
// Optionally bounded like mlx_lm's RotatingKVCache (`--max-kv-size`): the first `keep`
// entries (attention sinks) stay, the oldest of the rest are dropped to make room; positions
// (and so RoPE angles) keep counting up.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "swan/inference/attention.h"

namespace swan::inference {

class KvCache {
 public:
  // max_entries 0: unbounded. keep: entries never dropped (mlx_lm keeps 4).
  KvCache(std::size_t layers, std::size_t kv_dim, std::size_t max_entries = 0, std::size_t keep = 4);

  std::size_t position() const { return position_; }  // tokens processed: position of the next one
  std::size_t size() const { return layers_.empty() ? 0 : layers_.front().keys.size() / kv_dim_; }
  std::size_t layers() const { return layers_.size(); }

  // Before a forward call of `tokens` new tokens: drops old entries so that, with them, the
  // cache holds at most max_entries (when bounded). Returns how many entries remain.
  std::size_t make_room(std::size_t tokens);
  // Adds `tokens` entries at the end of every layer, for the forward pass to fill through
  // new_keys / new_values (the k and v projections write straight into the cache).
  void extend(std::size_t tokens);
  // The last `tokens` entries of a layer ([tokens, kv_dim]).
  std::span<float> new_keys(std::size_t layer, std::size_t tokens);
  std::span<float> new_values(std::size_t layer, std::size_t tokens);
  // After every layer filled its new entries: the new tokens count as processed.
  void advance(std::size_t tokens) { position_ += tokens; }

  std::span<const float> keys(std::size_t layer) const { return layers_[layer].keys; }
  std::span<const float> values(std::size_t layer) const { return layers_[layer].values; }

 private:
  struct Layer {
    std::vector<float> keys, values;
  };
  std::size_t kv_dim_;
  std::size_t max_entries_;
  std::size_t keep_;
  std::size_t position_ = 0;
  std::vector<Layer> layers_;
};

// Attention of `shape.tokens` new queries q ([tokens, heads * head_dim], rotated) over cached
// keys / values ([entries, kv_heads * head_dim]) whose last `shape.tokens` entries are the new
// tokens' own: new token t sees entries [0, entries - tokens + t]. out: [tokens, heads * head_dim].
// In its own parallel region (one thread for small problems).
void cached_attention(const AttentionShape& shape, std::span<const float> q, std::span<const float> keys,
                      std::span<const float> values, std::span<float> out);
// The same as a team kernel (team.h).
void cached_attention_in_team(const AttentionShape& shape, std::span<const float> q, std::span<const float> keys,
                              std::span<const float> values, std::span<float> out);

}  // namespace swan::inference
