// A Llama-family decoder (Llama, Mistral, Qwen2, Qwen3; Qwen2-MoE, Qwen3-MoE, Mixtral) ready
// to run on the CPU: config + located weights (mapped, never expanded) + the forward pass.
// `swan eval` runs one full-sequence forward per window, from position 0; `swan generate`
// continues a sequence held in a KvCache.
//
// Numerics: float32 activations throughout; matmuls accumulate in float32 (sgemm). Against
// a float32 reference of the same weights the logits agree to ~1e-5..1e-4.
// Threads: one OpenMP parallel region per forward pass (omp_get_max_threads() threads; team.h),
// outside it only an MoE layer's expert block; OpenBLAS is held single-threaded during forward().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "swan/gguf/reader.h"
#include "swan/inference/kv_cache.h"
#include "swan/inference/logit_rows.h"
#include "swan/inference/model_weights.h"
#include "swan/io/model_directory.h"
#include "swan/model/architecture.h"

namespace swan::inference {

// The residual stream of one full-sequence pass from position 0: entering[i] is the hidden
// state [tokens x hidden] that enters layer i, entering[layers] the last layer's output
// before the final norm. Memory: (layers + 1) x tokens x hidden floats.
struct ResidualStream {
  std::vector<std::vector<float>> entering;
};

// Copies are cheap views: they share the mapped files and copy only the small float vectors
// (norms, biases), so a copy can swap a weight (swap_weight) while the original — and every
// other copy — runs forward passes on other threads unchanged.
class Model {
 public:
  // Opens a HF checkpoint (F32/F16/BF16 safetensors) or an mlx_lm directory (affine
  // quantization, per-module overrides, quantized embeddings). Throws swan::Error naming the
  // directory / tensor / config key on any mismatch. A regular file is read as GGUF
  // (llama.cpp's llama / qwen2 / qwen3 files, every ggml type swan writes).
  static Model load(const std::filesystem::path& directory);

  const model::ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  std::size_t vocab_size() const { return static_cast<std::size_t>(config_.vocab_size); }
  bool is_quantized() const { return weights_.any_quantized(); }

  // Logits [tokens.size(), vocab_size] (row t predicts token t+1) for the sequence starting at
  // position 0, causal attention. Token ids must lie in [0, vocab_size).
  std::vector<float> forward(std::span<const std::int32_t> tokens) const;
  // Only the logits of `rows`: [rows' count, vocab_size], the same values as those rows of
  // the full result.
  std::vector<float> forward(std::span<const std::int32_t> tokens, LogitRows rows) const;

  // forward(tokens), also recording the residual stream entering each layer into `stream`.
  std::vector<float> forward_recording(std::span<const std::int32_t> tokens, ResidualStream& stream) const;
  // The logits forward(tokens) gives when nothing that layers before `first_layer` read has
  // changed since `stream` was recorded over the same tokens: those layers are not run again,
  // their output is taken from the stream (bit-identical to a full pass); from layer 0 the
  // pass is a full one, embedding lookup included. Measuring one tensor's sensitivity pays
  // only for the layers from its own on.
  std::vector<float> forward_from(std::span<const std::int32_t> tokens, std::size_t first_layer,
                                  const ResidualStream& stream) const;
  // The first layer whose computation reads the weight named `tensor_name` (HF or mlx_lm
  // name; MoE routers and experts too): 0 for the embedding (tied or not), the layer count
  // for an untied lm_head, which only the logits read. Throws if there is no such matrix.
  std::size_t first_layer_reading(std::string_view tensor_name) const;

  // For experiments on one tensor (measuring its sensitivity): swaps the matrix named
  // `tensor_name` (an HF or mlx_lm weight name; an MoE router or one expert's projection
  // too) with `replacement`, which must have the same shape, and returns the matrix it
  // replaced, so the caller can put it back. The caller keeps the replacement's storage alive
  // while it is in use. Throws if there is no such matrix or the shape differs.
  WeightMatrix swap_weight(std::string_view tensor_name, WeightMatrix replacement);
  const std::filesystem::path& directory() const { return directory_->path(); }
  // The same for tokens continuing the sequence in `cache` (at positions cache->position() ...;
  // their keys and values are appended), or from position 0 without a cache when it is null.
  // `routing`, when given, gets one LayerRouting per layer (empty for dense layers).
  std::vector<float> forward(std::span<const std::int32_t> tokens, KvCache* cache,
                             std::vector<LayerRouting>* routing, LogitRows rows = {}) const;
  // An empty cache for this model; max_entries 0 = unbounded.
  KvCache make_cache(std::size_t max_entries = 0) const;

 private:
  Model() = default;

  static Model load_gguf(const std::filesystem::path& file);

  // What a full-sequence pass records or resumes from (forward_recording / forward_from).
  struct ResidualPass {
    ResidualStream* record = nullptr;
    const ResidualStream* resume = nullptr;
    std::size_t first_layer = 0;
  };
  std::vector<float> run(std::span<const std::int32_t> tokens, KvCache* cache, std::vector<LayerRouting>* routing,
                         LogitRows rows, const ResidualPass& residual) const;

  // Shared, so that a copy of the model is a view of the same mappings (see Model).
  std::shared_ptr<const ModelDirectory> directory_;  // owns the mappings the weights point into
  std::shared_ptr<const gguf::GgufFile> gguf_;       // or this, for a GGUF file
  model::ModelConfig config_;
  ModelWeights weights_;
  std::vector<float> inverse_frequencies_;
};

}  // namespace swan::inference
