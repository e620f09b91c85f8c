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
// The architecture of a config.json model_type, or nullopt for one swan cannot run.
std::optional<Architecture> known_architecture(std::string_view model_type);

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
  // Sliding-window attention in force (Mistral's non-null sliding_window; Qwen2/Qwen3's
  // use_sliding_window with some layer at or past max_window_layers). swan, like mlx_lm's
  // llama and qwen2, attends over the whole sequence, which equals windowed attention only
  // while a sequence is at most this long: longer ones are refused (Model::forward, eval).
  std::optional<std::int64_t> sliding_window;

  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;

  // Whether the output head is tied is not a config-only fact: model::decide_output_head
  // (mlx_naming.h) decides it from config.json and the checkpoint together.

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

// num_hidden_layers comes from an untrusted file and sizes per-layer work: before anything
// is sized by it, the checkpoint must hold some tensor of its last layer, whose names start
// with this prefix ("model.layers.<N-1>."). Readers refuse a config whose last layer is absent.
std::string last_layer_prefix(const ModelConfig& config);

// Reads and parses <directory>/config.json.
ModelConfig load_model_config(const std::filesystem::path& directory);

}  // namespace swan::model
