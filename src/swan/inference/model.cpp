// The decoder forward pass: embeddings, N x (attention + SwiGLU MLP or MoE block) with
// pre-norm residuals, final norm, output projection.
#include "swan/inference/model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "swan/core/error.h"
#include "swan/gguf/model_config.h"
#include "swan/inference/attention.h"
#include "swan/inference/gguf_weights.h"
#include "swan/inference/linear.h"
#include "swan/inference/parallel_threshold.h"
#include "swan/inference/rms_norm.h"
#include "swan/inference/rotary_embedding.h"
#include "swan/inference/team.h"

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

// Sizes of one forward pass.
struct PassShape {
  std::size_t tokens = 0, hidden = 0, inter = 0, q_dim = 0, kv_dim = 0;
  AttentionShape attention;
  float eps = 0;
  bool qk_norm = false;
};

// The activations of one forward pass, [tokens, width] each.
struct Activations {
  std::vector<float> x;  // the residual stream
  std::vector<float> normed;
  std::vector<float> q, k, v;  // k and v only without a cache (else they are written into it)
  std::vector<float> attended;
  std::vector<float> gate, up;
};

// Rows [first, first + count) of a row-major matrix `width` wide.
std::span<float> rows_of(std::span<float> matrix, std::size_t width, std::size_t first, std::size_t count) {
  return matrix.subspan(first * width, count * width);
}

// Where layer `index` keeps the new tokens' keys and values, and which it attends over.
struct LayerKeys {
  std::span<float> new_keys, new_values;     // [tokens, kv_dim]: the k / v projections write here
  std::span<const float> keys, values;       // what attention reads (the whole cache, or the same)
  bool over_cache = false;
};

// Qwen3's per-head q/k RMSNorm (when present) and RoPE of the heads in rows [begin, end) of a
// q or k projection's output, for every token: the finishing step of that projection's band.
void normalize_and_rotate(std::span<float> y, std::size_t width, std::size_t begin, std::size_t end,
                          std::span<const float> head_norm, const PassShape& shape, const RopeTable& rope) {
  const std::size_t head_dim = shape.attention.head_dim;
  for (std::size_t t = 0; t < shape.tokens; ++t) {
    float* heads = y.data() + t * width + begin;
    if (!head_norm.empty())
      for (std::size_t h = begin; h < end; h += head_dim) {
        float* head = heads + (h - begin);
        rms_norm_row(head, head_norm.data(), head_dim, shape.eps, head);
      }
    apply_rope_token(rope, t, heads, (end - begin) / head_dim);
  }
}

// Team kernel: x += o(attention(rope(q/k/v(rms_norm(x))))), the output projection only for
// the rows [out_first, out_first + out_count) (the last layer's other rows feed nothing).
void attention_block_in_team(const DecoderLayerWeights& layer, const PassShape& shape, Activations& a,
                             const RopeTable& rope, const LayerKeys& keys, std::size_t out_first,
                             std::size_t out_count) {
  rms_norm_in_team(a.x, layer.input_norm, shape.eps, a.normed);
  const std::size_t head_dim = shape.attention.head_dim;
  const std::span<const float> q_norm = shape.qk_norm ? std::span<const float>(layer.q_norm) : std::span<const float>();
  const std::span<const float> k_norm = shape.qk_norm ? std::span<const float>(layer.k_norm) : std::span<const float>();
  const std::span<float> q(a.q);
  const LinearTarget projections[] = {
      {&layer.q, q, layer.q_bias, head_dim,
       [&](std::size_t begin, std::size_t end) { normalize_and_rotate(q, shape.q_dim, begin, end, q_norm, shape, rope); }},
      {&layer.k, keys.new_keys, layer.k_bias, head_dim,
       [&](std::size_t begin, std::size_t end) {
         normalize_and_rotate(keys.new_keys, shape.kv_dim, begin, end, k_norm, shape, rope);
       }},
      {&layer.v, keys.new_values, layer.v_bias}};
  linear_in_team(projections, a.normed, shape.tokens);
  if (keys.over_cache)
    cached_attention_in_team(shape.attention, a.q, keys.keys, keys.values, a.attended);
  else
    causal_attention_in_team(shape.attention, a.q, keys.keys, keys.values, a.attended);
  const LinearTarget output{&layer.o, rows_of(a.x, shape.hidden, out_first, out_count), layer.o_bias};
  linear_in_team(std::span(&output, 1), rows_of(a.attended, shape.q_dim, out_first, out_count), out_count,
                 Accumulate::Yes);
}

// Team kernel: x += down(swiglu(gate(n), up(n))), n = rms_norm(x), for rows [first, first + count).
void mlp_block_in_team(const DecoderLayerWeights& layer, const PassShape& shape, Activations& a, std::size_t first,
                       std::size_t count) {
  const std::span<float> x = rows_of(a.x, shape.hidden, first, count);
  const std::span<float> normed = rows_of(a.normed, shape.hidden, first, count);
  rms_norm_in_team(x, layer.post_attention_norm, shape.eps, normed);
  const std::span<float> gate = std::span(a.gate).first(count * shape.inter);
  gated_linear_in_team({&layer.gate, gate, layer.gate_bias}, {&layer.up, std::span(a.up).first(count * shape.inter), layer.up_bias},
                       normed, count);
  const LinearTarget down{&layer.down, x, layer.down_bias};
  linear_in_team(std::span(&down, 1), gate, count, Accumulate::Yes);
}

// The checks the team kernels cannot make inside the region (a throw there would terminate).
void check_layer_shapes(const DecoderLayerWeights& layer, const PassShape& shape, const LayerKeys& keys,
                        Activations& a) {
  const std::size_t n = shape.tokens;
  check_linear_target({&layer.q, a.q, layer.q_bias}, a.normed.size(), n);
  check_linear_target({&layer.k, keys.new_keys, layer.k_bias}, a.normed.size(), n);
  check_linear_target({&layer.v, keys.new_values, layer.v_bias}, a.normed.size(), n);
  SWAN_CHECK(layer.q.rows() % shape.attention.head_dim == 0 && layer.k.rows() % shape.attention.head_dim == 0,
             "{}: rows not whole heads of {}", layer.q.name(), shape.attention.head_dim);
  SWAN_CHECK(!shape.qk_norm || (layer.q_norm.size() == shape.attention.head_dim &&
                                layer.k_norm.size() == shape.attention.head_dim),
             "{}: q_norm / k_norm of {} / {} values for head_dim {}", layer.q.name(), layer.q_norm.size(),
             layer.k_norm.size(), shape.attention.head_dim);
  check_attention_shape(shape.attention, a.q.size(), keys.new_keys.size(), a.attended.size());
  check_linear_target({&layer.o, a.x, layer.o_bias},
                      a.attended.size(), n);
  if (layer.moe) return;
  check_linear_target({&layer.gate, a.gate, layer.gate_bias}, a.normed.size(), n);
  check_linear_target({&layer.up, a.up, layer.up_bias}, a.normed.size(), n);
  check_linear_target({&layer.down, a.x, layer.down_bias},
                      a.gate.size(), n);
}

}  // namespace

Model Model::load_gguf(const std::filesystem::path& file) {
  Model model;
  model.gguf_ = std::make_shared<const gguf::GgufFile>(file);
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
  model.directory_ = std::make_shared<const ModelDirectory>(directory);
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

std::vector<float> Model::forward(std::span<const std::int32_t> tokens, LogitRows rows) const {
  return forward(tokens, nullptr, nullptr, rows);
}

std::vector<float> Model::forward(std::span<const std::int32_t> tokens, KvCache* cache,
                                  std::vector<LayerRouting>* routing, LogitRows rows) const {
  return run(tokens, cache, routing, rows, {});
}

std::vector<float> Model::forward_recording(std::span<const std::int32_t> tokens, ResidualStream& stream) const {
  return run(tokens, nullptr, nullptr, {}, {&stream, nullptr, 0});
}

std::vector<float> Model::forward_from(std::span<const std::int32_t> tokens, std::size_t first_layer,
                                       const ResidualStream& stream) const {
  const std::size_t layers = weights_.layers.size();
  const std::size_t expected = tokens.size() * static_cast<std::size_t>(config_.hidden_size);
  if (first_layer > layers || stream.entering.size() != layers + 1 || stream.entering[first_layer].size() != expected)
    fail("cannot resume a forward pass at layer {} of {}: the recorded residual stream holds {} states ({} values "
         "at that layer, {} expected for {} tokens)",
         first_layer, layers, stream.entering.size(),
         first_layer < stream.entering.size() ? stream.entering[first_layer].size() : 0, expected, tokens.size());
  // From layer 0 the embedding lookup runs too (it may be what changed).
  if (first_layer == 0) return forward(tokens);
  return run(tokens, nullptr, nullptr, {}, {nullptr, &stream, first_layer});
}

std::vector<float> Model::run(std::span<const std::int32_t> tokens, KvCache* cache,
                              std::vector<LayerRouting>* routing, LogitRows rows, const ResidualPass& residual) const {
  const std::size_t n = tokens.size();
  PassShape shape;
  shape.tokens = n;
  shape.hidden = static_cast<std::size_t>(config_.hidden_size);
  shape.inter = static_cast<std::size_t>(config_.intermediate_size);
  shape.attention = {n, static_cast<std::size_t>(config_.num_attention_heads),
                     static_cast<std::size_t>(config_.num_key_value_heads), static_cast<std::size_t>(config_.head_dim)};
  shape.q_dim = shape.attention.heads * shape.attention.head_dim;
  shape.kv_dim = shape.attention.kv_heads * shape.attention.head_dim;
  shape.eps = static_cast<float>(config_.rms_norm_eps);
  shape.qk_norm = config_.qk_norm;
  const std::size_t hidden = shape.hidden;
  for (std::size_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || static_cast<std::size_t>(tokens[t]) >= vocab_size())
      fail("token id {} at position {} is outside the model's vocabulary [0, {})", tokens[t], t, vocab_size());
  if (n == 0) return {};
  const std::size_t positions = (cache ? cache->position() : 0) + n;
  if (config_.sliding_window && positions > static_cast<std::size_t>(*config_.sliding_window))
    fail("a sequence of {} tokens is longer than the model's sliding_window of {} tokens: swan computes full "
         "attention, which matches windowed attention only up to the window; use at most {} tokens",
         positions, *config_.sliding_window, *config_.sliding_window);
  const std::size_t logits_first = rows.clipped_begin(n);
  const std::size_t logits_count = rows.clipped_end(n) - logits_first;

  const SingleThreadedBlas single_threaded_blas;
  Activations a;
  a.x.resize(n * hidden);
  a.normed.resize(n * hidden);
  a.q.resize(n * shape.q_dim);
  a.attended.resize(n * shape.q_dim);
  a.gate.resize(n * shape.inter);
  a.up.resize(n * shape.inter);
  if (!cache) {
    a.k.resize(n * shape.kv_dim);
    a.v.resize(n * shape.kv_dim);
  }
  const std::size_t first_position = cache ? cache->position() : 0;
  const RopeTable rope = make_rope_table(inverse_frequencies_, n, first_position);
  // With nothing cached the prefill's blocked kernel applies; after that, new tokens attend
  // over the cache.
  const bool over_cache = cache && cache->make_room(n) > 0;
  if (cache) cache->extend(n);
  if (routing) routing->assign(weights_.layers.size(), {});
  const std::size_t layers = weights_.layers.size();
  std::vector<LayerKeys> keys(layers);
  for (std::size_t i = 0; i < layers; ++i) {
    if (cache) {
      keys[i] = {cache->new_keys(i, n), cache->new_values(i, n), {}, {}, over_cache};
      keys[i].keys = over_cache ? cache->keys(i) : keys[i].new_keys;
      keys[i].values = over_cache ? cache->values(i) : keys[i].new_values;
    } else {
      keys[i] = {a.k, a.v, a.k, a.v, false};
    }
    check_layer_shapes(weights_.layers[i], shape, keys[i], a);
  }
  const WeightMatrix& head = weights_.output_projection();
  std::vector<float> logits(logits_count * vocab_size());
  check_linear_target({&head, logits, {}}, logits_count * hidden, logits_count);
  SWAN_CHECK(weights_.embed_tokens.cols() == hidden && weights_.final_norm.size() == hidden,
             "embedding of {} columns, final norm of {} values for hidden size {}", weights_.embed_tokens.cols(),
             weights_.final_norm.size(), hidden);

  const std::size_t context = (cache ? cache->size() : n);
  const std::size_t layer_multiply_adds =
      n * (hidden * (2 * shape.q_dim + 2 * shape.kv_dim) + 3 * hidden * shape.inter) +
      shape.attention.heads * n * context * shape.attention.head_dim;
  const bool parallel = layer_multiply_adds >= kTeamMinMultiplyAddsPerLayer;

  if (residual.record) residual.record->entering.assign(layers + 1, std::vector<float>(n * hidden));
  // Inside the team: a copy of the residual stream as it enters layer i (layers: the output).
  const auto record_entering = [&](std::size_t i) {
    if (!residual.record) return;
    float* to = residual.record->entering[i].data();
#pragma omp for schedule(static)
    for (std::size_t t = 0; t < n; ++t) std::copy_n(a.x.data() + t * hidden, hidden, to + t * hidden);
  };
  if (residual.resume) a.x = residual.resume->entering[residual.first_layer];

  // One parallel region from the embeddings to the logits; only an MoE layer's expert block
  // runs outside it (its experts' products, on varying token subsets, have their own regions).
  std::vector<float> moe_output;
  for (std::size_t next = residual.first_layer;;) {
    std::size_t stop = next;  // layers [next, stop) are dense; layer `stop` (if any) is MoE
    while (stop < layers && !weights_.layers[stop].moe) ++stop;
#pragma omp parallel if (parallel)
    {
      if (next == 0) {
#pragma omp for schedule(static)
        for (std::size_t t = 0; t < n; ++t) {
          const auto id = static_cast<std::size_t>(tokens[t]);
          weights_.embed_tokens.read_rows(id, id + 1, rows_of(a.x, hidden, t, 1));
        }
      }
      for (std::size_t i = next; i < stop; ++i) {
        // The last layer's output projection and MLP only for the rows whose logits are wanted.
        const bool last = i + 1 == layers;
        const std::size_t first = last ? logits_first : 0, count = last ? logits_count : n;
        record_entering(i);
        attention_block_in_team(weights_.layers[i], shape, a, rope, keys[i], first, count);
        mlp_block_in_team(weights_.layers[i], shape, a, first, count);
      }
      if (stop < layers) {
        record_entering(stop);
        attention_block_in_team(weights_.layers[stop], shape, a, rope, keys[stop], 0, n);
      } else {
        record_entering(layers);
        const std::span<float> normed = rows_of(a.normed, hidden, logits_first, logits_count);
        rms_norm_in_team(rows_of(a.x, hidden, logits_first, logits_count), weights_.final_norm, shape.eps, normed);
        const LinearTarget output{&head, logits, {}};
        linear_in_team(std::span(&output, 1), normed, logits_count);
      }
    }
    if (stop == layers) break;
    const DecoderLayerWeights& layer = weights_.layers[stop];
    moe_output.resize(n * hidden);
    rms_norm(a.x, layer.post_attention_norm, shape.eps, a.normed);
    moe_forward(*layer.moe, config_.moe, a.normed, n, moe_output, routing ? &(*routing)[stop] : nullptr);
    add_in_place(a.x, moe_output);
    next = stop + 1;
  }
  if (cache) cache->advance(n);
  return logits;
}

namespace {
// Every matrix a probe may swap (const or not), with the first layer whose computation reads
// it (the layer count: only the logits).
template <typename Weights, typename Visit>
void visit_matrices(Weights& weights, Visit&& visit) {
  const std::size_t layers = weights.layers.size();
  visit(weights.embed_tokens, std::size_t{0});
  if (weights.lm_head) visit(*weights.lm_head, layers);
  for (std::size_t i = 0; i < layers; ++i) {
    auto& layer = weights.layers[i];
    for (auto* m : std::array{&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      visit(*m, i);
    if (!layer.moe) continue;
    auto& moe = *layer.moe;
    visit(moe.router, i);
    for (auto& expert : moe.experts)
      for (auto* m : std::array{&expert.gate, &expert.up, &expert.down}) visit(*m, i);
    if (moe.shared_expert) {
      for (auto* m : std::array{&moe.shared_expert->gate, &moe.shared_expert->up, &moe.shared_expert->down})
        visit(*m, i);
      visit(moe.shared_expert_gate, i);
    }
  }
}
}  // namespace

std::size_t Model::first_layer_reading(std::string_view tensor_name) const {
  std::optional<std::size_t> first;
  visit_matrices(weights_, [&](const WeightMatrix& m, std::size_t layer) {
    if (!first && m.name() == tensor_name) first = layer;
  });
  if (!first) fail("the model has no weight matrix named '{}'", tensor_name);
  return *first;
}

WeightMatrix Model::swap_weight(std::string_view tensor_name, WeightMatrix replacement) {
  WeightMatrix* found = nullptr;
  visit_matrices(weights_, [&](WeightMatrix& m, std::size_t) {
    if (!found && m.name() == tensor_name) found = &m;
  });
  if (!found) fail("the model has no weight matrix named '{}'", tensor_name);
  if (found->rows() != replacement.rows() || found->cols() != replacement.cols())
    fail("cannot swap weight '{}': [{}, {}] for [{}, {}]", tensor_name, found->rows(), found->cols(),
         replacement.rows(), replacement.cols());
  std::swap(*found, replacement);
  return replacement;
}

}  // namespace swan::inference
