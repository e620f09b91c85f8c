// The decoder architectures swan can run — dense Llama, Mistral, Qwen2, Qwen3 and the
// mixture-of-experts Qwen2-MoE, Qwen3-MoE and Mixtral — and their hyper-parameters, parsed
// from a HuggingFace / mlx_lm config.json. Pure description:
// no tensors, no math. Defaults follow mlx_lm where it differs from transformers
// (tie_word_embeddings), because swan's outputs are read by mlx_lm.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/core/dtype.h"

namespace swan::model {

enum class Architecture { Llama, Mistral, Qwen2, Qwen3, Qwen2Moe, Qwen3Moe, Mixtral };

std::string_view architecture_name(Architecture architecture);

// config.json "rope_scaling". Only the schemes that change Llama-family inverse
// frequencies without extra state are supported.
struct RopeScaling {
  enum class Type { None, Linear, Llama3 };
  Type type = Type::None;
  double factor = 1.0;
  // llama3 only (transformers' _compute_llama3_parameters).
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192.0;
};

// The sparse MLP of MoE models: a router ("gate", a Linear hidden -> num_experts) picks
// experts_per_token experts per token; their SwiGLU outputs are summed, weighted by the
// softmax of the router logits (renormalised over the picked experts when normalize_top_k).
struct MixtureOfExperts {
  std::int64_t num_experts = 0;  // 0: a dense model
  std::int64_t experts_per_token = 0;
  std::int64_t expert_intermediate_size = 0;
  // Mixtral: softmax over the top-k logits, which is the renormalised top-k of the softmax.
  bool normalize_top_k = false;
  // Qwen2-MoE: one always-active SwiGLU expert, scaled by sigmoid(shared_expert_gate(x)).
  std::int64_t shared_expert_intermediate_size = 0;
  // Layer i is sparse unless listed in mlp_only_layers, and only if (i + 1) % decoder_sparse_step == 0.
  std::int64_t decoder_sparse_step = 1;
  std::vector<std::int64_t> mlp_only_layers;
  std::string block;  // module name of the MLP: "mlp" (Qwen) or "block_sparse_moe" (Mixtral)
};

struct ModelConfig {
  std::string model_type;  // as written in config.json
  Architecture architecture = Architecture::Llama;

  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;
  std::int64_t head_dim = 0;  // may differ from hidden_size / num_attention_heads (Qwen3)
  std::int64_t vocab_size = 0;
  std::int64_t max_position_embeddings = 0;  // 0 when absent (informational only)
  // Not read: Mistral's / Qwen2's sliding_window. Like mlx_lm's llama, swan attends over the
  // whole sequence, which is the same as long as sequences are shorter than the window.

  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;

  // True when the output projection reuses model.embed_tokens. `tie_word_embeddings_explicit`
  // says whether config.json stated it (a loader may then trust an lm_head tensor it finds).
  bool tie_word_embeddings = true;
  bool tie_word_embeddings_explicit = false;

  bool qkv_bias = false;  // Qwen2 always; Llama/Mistral/Qwen3 with attention_bias
  bool o_bias = false;    // Llama/Qwen3 with attention_bias
  bool mlp_bias = false;  // Llama with mlp_bias
  bool qk_norm = false;   // Qwen3: per-head RMSNorm of q and k before RoPE

  std::optional<std::int64_t> bos_token_id;
  std::vector<std::int64_t> eos_token_ids;  // config.json allows an int or a list
  std::optional<DType> torch_dtype;         // F32 / F16 / BF16 when given

  MixtureOfExperts moe;

  bool is_moe() const { return moe.num_experts > 0; }
  bool is_moe_layer(std::int64_t layer) const;
  std::int64_t q_dim() const { return num_attention_heads * head_dim; }
  std::int64_t kv_dim() const { return num_key_value_heads * head_dim; }
};

// Parses a config.json object. `label` names the file in error messages. Throws swan::Error
// for a missing or invalid key, an unsupported model_type (MoE models say so explicitly) or
// inconsistent sizes. Other MoE families (DeepSeek, DBRX, ...) are refused by name.
ModelConfig parse_model_config(const nlohmann::ordered_json& config, const std::string& label);
// Reads and parses <directory>/config.json.
ModelConfig load_model_config(const std::filesystem::path& directory);

}  // namespace swan::model
