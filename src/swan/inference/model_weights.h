// The tensors of a Llama-family decoder (dense or mixture-of-experts), located in an opened model directory: a
// HuggingFace checkpoint (F32 / F16 / BF16) or an mlx_lm directory with affine-quantized
// modules (config.json "quantization"). Matrices stay in the mapped files (WeightMatrix);
// only the small vectors (norm weights, Linear biases) are copied out as float32.
#pragma once

#include <optional>
#include <vector>

#include "swan/inference/moe.h"
#include "swan/model/mlx_quantization_config.h"
#include "swan/inference/weight_matrix.h"
#include "swan/io/model_directory.h"
#include "swan/model/architecture.h"

namespace swan::inference {

struct DecoderLayerWeights {
  std::vector<float> input_norm;           // [hidden]
  std::vector<float> post_attention_norm;  // [hidden]
  std::vector<float> q_norm, k_norm;       // [head_dim], Qwen3 only
  WeightMatrix q, k, v, o;
  std::vector<float> q_bias, k_bias, v_bias, o_bias;  // empty when the architecture has none
  WeightMatrix gate, up, down;  // dense MLP (absent in MoE layers)
  std::vector<float> gate_bias, up_bias, down_bias;
  std::optional<MoeLayerWeights> moe;  // the sparse block of an MoE layer
};

struct ModelWeights {
  WeightMatrix embed_tokens;           // [vocab, hidden]
  std::optional<WeightMatrix> lm_head;  // nullopt: tied to embed_tokens
  std::vector<float> final_norm;       // [hidden]
  std::vector<DecoderLayerWeights> layers;

  const WeightMatrix& output_projection() const { return lm_head ? *lm_head : embed_tokens; }
  bool any_quantized() const;
  std::size_t stored_bytes() const;  // bytes of the matrices as stored (what inference maps)
};

// Finds and checks every tensor the forward pass needs: names, dtypes, shapes against the
// config, quantization parameters against config.json. Throws swan::Error naming the tensor.
// The returned views point into `directory`, which must outlive them.
ModelWeights locate_model_weights(const ModelDirectory& directory, const model::ModelConfig& config,
                                  const model::MlxQuantizationConfig& quantization);

}  // namespace swan::inference
