// KV cache and attention of new tokens over it.
#include "swan/inference/kv_cache.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "swan/core/error.h"
#include "swan/inference/vector_math.h"

namespace swan::inference {

KvCache::KvCache(std::size_t layers, std::size_t kv_dim, std::size_t max_entries, std::size_t keep)
    : kv_dim_(kv_dim), max_entries_(max_entries), keep_(max_entries == 0 ? 0 : std::min(keep, max_entries - 1)),
      layers_(layers) {}

std::size_t KvCache::make_room(std::size_t tokens) {
  const std::size_t held = size();
  if (max_entries_ == 0) return held;
  const std::size_t allowed = tokens >= max_entries_ - keep_ ? keep_ : max_entries_ - tokens;
  if (held <= allowed) return held;
  const std::size_t drop = held - allowed;  // the oldest entries after the first `keep_`
  for (Layer& layer : layers_)
    for (std::vector<float>* data : {&layer.keys, &layer.values}) {
      const auto first = data->begin() + static_cast<std::ptrdiff_t>(std::min(keep_, held) * kv_dim_);
      data->erase(first, first + static_cast<std::ptrdiff_t>(drop * kv_dim_));
    }
  return allowed;
}

void KvCache::extend(std::size_t tokens) {
  for (Layer& layer : layers_) {
    layer.keys.resize(layer.keys.size() + tokens * kv_dim_);
    layer.values.resize(layer.values.size() + tokens * kv_dim_);
  }
}

std::span<float> KvCache::new_keys(std::size_t layer, std::size_t tokens) {
  SWAN_CHECK(layer < layers_.size() && tokens <= size(), "KvCache: {} new entries of layer {} of {}, {} held", tokens,
             layer, layers_.size(), size());
  return std::span(layers_[layer].keys).last(tokens * kv_dim_);
}

std::span<float> KvCache::new_values(std::size_t layer, std::size_t tokens) {
  SWAN_CHECK(layer < layers_.size() && tokens <= size(), "KvCache: {} new entries of layer {} of {}, {} held", tokens,
             layer, layers_.size(), size());
  return std::span(layers_[layer].values).last(tokens * kv_dim_);
}

namespace {

std::size_t cached_entries(const AttentionShape& shape, std::span<const float> q, std::span<const float> keys,
                           std::span<const float> values, std::span<float> out) {
  const std::size_t kv_dim = shape.kv_heads * shape.head_dim;
  const std::size_t entries = kv_dim == 0 ? 0 : keys.size() / kv_dim;
  SWAN_CHECK(kv_dim > 0 && shape.heads % shape.kv_heads == 0 && keys.size() == entries * kv_dim &&
                 values.size() == keys.size() && entries >= shape.tokens &&
                 q.size() == shape.tokens * shape.heads * shape.head_dim && out.size() == q.size(),
             "cached_attention: {} queries, {} keys, {} values, {} outputs for {} tokens", q.size(), keys.size(),
             values.size(), out.size(), shape.tokens);
  return entries;
}

}  // namespace

void cached_attention_in_team(const AttentionShape& shape, std::span<const float> q, std::span<const float> keys,
                              std::span<const float> values, std::span<float> out) {
  const std::size_t head_dim = shape.head_dim;
  const std::size_t kv_dim = shape.kv_heads * head_dim;
  const std::size_t q_dim = shape.heads * head_dim;
  const std::size_t entries = cached_entries(shape, q, keys, values, out);
  const std::size_t group = shape.heads / shape.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const std::size_t items = shape.tokens * shape.heads;
  thread_local std::vector<float> scores;
#pragma omp for schedule(static)
  for (std::size_t item = 0; item < items; ++item) {
    scores.resize(entries);
    const std::size_t t = item / shape.heads, h = item % shape.heads;
    const std::size_t visible = entries - shape.tokens + t + 1;
    const float* query = q.data() + t * q_dim + h * head_dim;
    const std::size_t kv_offset = (h / group) * head_dim;
    float max_score = -std::numeric_limits<float>::infinity();
    for (std::size_t j = 0; j < visible; ++j) {
      const float* key = keys.data() + j * kv_dim + kv_offset;
      float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
      for (std::size_t d = 0; d < head_dim; ++d) dot += query[d] * key[d];
      scores[j] = dot * scale;
      max_score = std::max(max_score, scores[j]);
    }
    float sum = 0.0f;
    for (std::size_t j = 0; j < visible; ++j) sum += scores[j] = fast_exp(scores[j] - max_score);
    float* result = out.data() + t * q_dim + h * head_dim;
    std::fill_n(result, head_dim, 0.0f);
    for (std::size_t j = 0; j < visible; ++j) {
      const float* value = values.data() + j * kv_dim + kv_offset;
      const float weight = scores[j] / sum;
#pragma omp simd
      for (std::size_t d = 0; d < head_dim; ++d) result[d] += weight * value[d];
    }
  }
}

void cached_attention(const AttentionShape& shape, std::span<const float> q, std::span<const float> keys,
                      std::span<const float> values, std::span<float> out) {
  const std::size_t entries = cached_entries(shape, q, keys, values, out);
#pragma omp parallel if (shape.tokens * shape.heads * entries * shape.head_dim > 65536)
  cached_attention_in_team(shape, q, keys, values, out);
}

}  // namespace swan::inference
