// The decoder forward pass: embeddings, N x (attention + SwiGLU MLP or MoE block) with
// pre-norm residuals, final norm, output projection.
#include "swan/inference/model.h"

#include <cmath>

#include "swan/core/error.h"
#include "swan/gguf/model_config.h"
#include "swan/inference/attention.h"
#include "swan/inference/gguf_weights.h"
#include "swan/inference/linear.h"
#include "swan/inference/parallel_threshold.h"
#include "swan/inference/rms_norm.h"
#include "swan/inference/rotary_embedding.h"
#include "swan/inference/swiglu.h"
#include "swan/inference/vector_math.h"

namespace swan::inference {
namespace {

// Raw pointers, not span indexing, inside the OpenMP loops: through the outlined region GCC
// otherwise vectorises the span accesses as gathers/scatters (measured: 3x slower).
void add_in_place(std::span<float> x, std::span<const float> delta) {
  float* out = x.data();
  const float* add = delta.data();
  const std::size_t n = x.size();
#pragma omp parallel for simd schedule(static) if (n >= kParallelElementwiseMinValues)
  for (std::size_t i = 0; i < n; ++i) out[i] += add[i];
}

}  // namespace

Model Model::load_gguf(const std::filesystem::path& file) {
  Model model;
  model.gguf_ = std::make_unique<gguf::GgufFile>(file);
  model.config_ = gguf::gguf_model_config(*model.gguf_);
  model.weights_ = locate_gguf_weights(*model.gguf_, model.config_);
  model.inverse_frequencies_ = rope_inverse_frequencies(static_cast<std::size_t>(model.config_.head_dim),
                                                        model.config_.rope_theta, model.config_.rope_scaling);
  // llama.cpp divides each rotary frequency by its rope_freqs factor (llama 3 scaling).
  const auto factors = gguf_rope_factors(*model.gguf_, static_cast<std::size_t>(model.config_.head_dim));
  for (std::size_t i = 0; i < factors.size() && i < model.inverse_frequencies_.size(); ++i)
    model.inverse_frequencies_[i] /= factors[i];
  return model;
}

Model Model::load(const std::filesystem::path& directory) {
  if (std::filesystem::is_regular_file(directory)) return load_gguf(directory);
  Model model;
  model.directory_ = std::make_unique<ModelDirectory>(directory);
  if (!model.directory_->has_config())
    fail("{}: no config.json; inference needs the model's config.json next to its weights", directory.string());
  const std::string label = (directory / "config.json").string();
  model.config_ = model::parse_model_config(model.directory_->config(), label);
  const auto quantization = model::require_mlx_quantization_config(model.directory_->config(), label);
  model.weights_ = locate_model_weights(*model.directory_, model.config_, quantization);
  model.inverse_frequencies_ = rope_inverse_frequencies(static_cast<std::size_t>(model.config_.head_dim),
                                                        model.config_.rope_theta, model.config_.rope_scaling);
  return model;
}

KvCache Model::make_cache(std::size_t max_entries) const {
  return KvCache(weights_.layers.size(), static_cast<std::size_t>(config_.kv_dim()), max_entries);
}

std::vector<float> Model::forward(std::span<const std::int32_t> tokens) const { return forward(tokens, nullptr, nullptr); }

std::vector<float> Model::forward(std::span<const std::int32_t> tokens, KvCache* cache,
                                  std::vector<LayerRouting>* routing) const {
  const std::size_t n = tokens.size();
  const auto hidden = static_cast<std::size_t>(config_.hidden_size);
  const auto inter = static_cast<std::size_t>(config_.intermediate_size);
  const auto heads = static_cast<std::size_t>(config_.num_attention_heads);
  const auto kv_heads = static_cast<std::size_t>(config_.num_key_value_heads);
  const auto head_dim = static_cast<std::size_t>(config_.head_dim);
  const std::size_t q_dim = heads * head_dim;
  const std::size_t kv_dim = kv_heads * head_dim;
  const auto eps = static_cast<float>(config_.rms_norm_eps);
  for (std::size_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || static_cast<std::size_t>(tokens[t]) >= vocab_size())
      fail("token id {} at position {} is outside the model's vocabulary [0, {})", tokens[t], t, vocab_size());
  if (n == 0) return {};
  const std::size_t positions = (cache ? cache->position() : 0) + n;
  if (config_.sliding_window && positions > static_cast<std::size_t>(*config_.sliding_window))
    fail("a sequence of {} tokens is longer than the model's sliding_window of {} tokens: swan computes full "
         "attention, which matches windowed attention only up to the window; use at most {} tokens",
         positions, *config_.sliding_window, *config_.sliding_window);

  const SingleThreadedBlas single_threaded_blas;
  std::vector<float> x(n * hidden);  // the residual stream
  std::vector<float> normed(n * hidden);
  std::vector<float> q(n * q_dim), k(n * kv_dim), v(n * kv_dim), attended(n * q_dim);
  std::vector<float> gate(n * inter), up(n * inter);
  std::vector<float> delta(n * hidden);

#pragma omp parallel for schedule(static) if (n * hidden > 65536)
  for (std::size_t t = 0; t < n; ++t) {
    const auto id = static_cast<std::size_t>(tokens[t]);
    weights_.embed_tokens.read_rows(id, id + 1, std::span(x).subspan(t * hidden, hidden));
  }
  const std::size_t first_position = cache ? cache->position() : 0;
  const RopeTable rope = make_rope_table(inverse_frequencies_, n, first_position);
  const AttentionShape shape{n, heads, kv_heads, head_dim};
  // With nothing cached the prefill's blocked kernel applies; after that, new tokens attend
  // over the cache.
  const bool attend_over_cache = cache && cache->make_room(n) > 0;
  if (routing) routing->assign(weights_.layers.size(), {});

  for (std::size_t index = 0; index < weights_.layers.size(); ++index) {
    const DecoderLayerWeights& layer = weights_.layers[index];
    rms_norm(x, layer.input_norm, eps, normed);
    linear(layer.q, normed, n, q, layer.q_bias);
    linear(layer.k, normed, n, k, layer.k_bias);
    linear(layer.v, normed, n, v, layer.v_bias);
    if (config_.qk_norm) {
      rms_norm(q, layer.q_norm, eps, q);
      rms_norm(k, layer.k_norm, eps, k);
    }
    apply_rope(rope, q, n, heads);
    apply_rope(rope, k, n, kv_heads);
    if (cache) cache->append(index, k, v);
    if (attend_over_cache) cached_attention(shape, q, cache->keys(index), cache->values(index), attended);
    else causal_attention(shape, q, k, v, attended);
    linear(layer.o, attended, n, delta, layer.o_bias);
    add_in_place(x, delta);

    rms_norm(x, layer.post_attention_norm, eps, normed);
    if (layer.moe) {
      moe_forward(*layer.moe, config_.moe, normed, n, delta, routing ? &(*routing)[index] : nullptr);
    } else {
      linear(layer.gate, normed, n, gate, layer.gate_bias);
      linear(layer.up, normed, n, up, layer.up_bias);
      swiglu_in_place(gate, up);
      linear(layer.down, gate, n, delta, layer.down_bias);
    }
    add_in_place(x, delta);
  }
  if (cache) cache->advance(n);
  rms_norm(x, weights_.final_norm, eps, normed);
  std::vector<float> logits(n * vocab_size());
  linear(weights_.output_projection(), normed, n, logits);
  return logits;
}

WeightMatrix Model::swap_weight(std::string_view tensor_name, WeightMatrix replacement) {
  std::vector<WeightMatrix*> matrices{&weights_.embed_tokens};
  if (weights_.lm_head) matrices.push_back(&*weights_.lm_head);
  for (auto& layer : weights_.layers)
    for (WeightMatrix* m : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      matrices.push_back(m);
  for (WeightMatrix* m : matrices) {
    if (m->name() != tensor_name) continue;
    if (m->rows() != replacement.rows() || m->cols() != replacement.cols())
      fail("cannot swap weight '{}': [{}, {}] for [{}, {}]", tensor_name, m->rows(), m->cols(), replacement.rows(),
           replacement.cols());
    std::swap(*m, replacement);
    return replacement;
  }
  fail("the model has no weight matrix named '{}'", tensor_name);
}

}  // namespace swan::inference
