// The decoder forward pass: embeddings, N x (attention + SwiGLU MLP) with pre-norm
// residuals, final norm, output projection.
#include "swan/inference/model.h"

#include <cmath>

#include "swan/core/error.h"
#include "swan/gguf/model_config.h"
#include "swan/inference/attention.h"
#include "swan/inference/gguf_weights.h"
#include "swan/inference/linear.h"
#include "swan/inference/rms_norm.h"
#include "swan/inference/rotary_embedding.h"
#include "swan/inference/vector_math.h"

namespace swan::inference {
namespace {

// Raw pointers, not span indexing, inside the OpenMP loops: through the outlined region GCC
// otherwise vectorises the span accesses as gathers/scatters (measured: 3x slower).
void add_in_place(std::span<float> x, std::span<const float> delta) {
  float* out = x.data();
  const float* add = delta.data();
  const std::size_t n = x.size();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (std::size_t i = 0; i < n; ++i) out[i] += add[i];
}

// gate <- silu(gate) * up, silu(g) = g * sigmoid(g).
void swiglu_in_place(std::span<float> gate, std::span<const float> up) {
  float* g = gate.data();
  const float* u = up.data();
  const std::size_t n = gate.size();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (std::size_t i = 0; i < n; ++i) g[i] = g[i] / (1.0f + fast_exp(-g[i])) * u[i];
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
  const QuantizationConfig quantization = parse_quantization_config(model.directory_->config(), label);
  model.weights_ = locate_model_weights(*model.directory_, model.config_, quantization);
  model.inverse_frequencies_ = rope_inverse_frequencies(static_cast<std::size_t>(model.config_.head_dim),
                                                        model.config_.rope_theta, model.config_.rope_scaling);
  return model;
}

std::vector<float> Model::forward(std::span<const std::int32_t> tokens) const {
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
  const RopeTable rope = make_rope_table(inverse_frequencies_, n);
  const AttentionShape shape{n, heads, kv_heads, head_dim};

  for (const DecoderLayerWeights& layer : weights_.layers) {
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
    causal_attention(shape, q, k, v, attended);
    linear(layer.o, attended, n, delta, layer.o_bias);
    add_in_place(x, delta);

    rms_norm(x, layer.post_attention_norm, eps, normed);
    linear(layer.gate, normed, n, gate, layer.gate_bias);
    linear(layer.up, normed, n, up, layer.up_bias);
    swiglu_in_place(gate, up);
    linear(layer.down, gate, n, delta, layer.down_bias);
    add_in_place(x, delta);
  }
  rms_norm(x, weights_.final_norm, eps, normed);
  std::vector<float> logits(n * vocab_size());
  linear(weights_.output_projection(), normed, n, logits);
  return logits;
}

}  // namespace swan::inference
