// GGUF hyper-parameters -> ModelConfig; see model_config.h.
#include "swan/gguf/model_config.h"

#include "swan/core/error.h"

namespace swan::gguf {

model::ModelConfig gguf_model_config(const GgufFile& file) {
  const Metadata& m = file.metadata();
  const std::string label = file.path().string();
  const auto arch = m.get_string("general.architecture");
  if (!arch) fail("{}: general.architecture is missing or not a string", label);
  model::ModelConfig c;
  c.model_type = *arch;
  if (*arch == "llama") c.architecture = model::Architecture::Llama;
  else if (*arch == "qwen2") c.architecture = model::Architecture::Qwen2;
  else if (*arch == "qwen3") c.architecture = model::Architecture::Qwen3;
  else if (*arch == "qwen3moe") c.architecture = model::Architecture::Qwen3Moe;
  else fail("{}: architecture '{}' is not one swan runs (llama, qwen2, qwen3, qwen3moe)", label, *arch);

  auto u32 = [&](const std::string& key, std::optional<std::uint32_t> fallback) -> std::int64_t {
    const std::string full = *arch + "." + key;
    const Value* v = m.find(full);
    if (v == nullptr) {
      if (!fallback) fail("{}: key {} is missing; llama.cpp requires it", label, full);
      return *fallback;
    }
    if (v->type != ValueType::UINT32)
      fail("{}: key {} has type {}, llama.cpp reads it as UINT32", label, full, value_type_name(v->type));
    return std::get<std::uint32_t>(v->scalar);
  };
  auto f32 = [&](const std::string& key, std::optional<float> fallback) -> double {
    const std::string full = *arch + "." + key;
    const Value* v = m.find(full);
    if (v == nullptr) {
      if (!fallback) fail("{}: key {} is missing; llama.cpp requires it", label, full);
      return *fallback;
    }
    if (v->type != ValueType::FLOAT32)
      fail("{}: key {} has type {}, llama.cpp reads it as FLOAT32", label, full, value_type_name(v->type));
    return std::get<float>(v->scalar);
  };
  c.hidden_size = u32("embedding_length", std::nullopt);
  // Experts (llama.cpp's MoE keys): llama with experts is Mixtral; qwen3moe needs them. Both
  // renormalise the top-k softmax weights, as llama.cpp's graphs for them do.
  c.moe.num_experts = u32("expert_count", 0);
  if (c.architecture == model::Architecture::Qwen3Moe && c.moe.num_experts == 0)
    fail("{}: qwen3moe.expert_count is missing or 0; llama.cpp requires experts for qwen3moe", label);
  if (c.moe.num_experts > 0) {
    if (c.architecture == model::Architecture::Llama) c.architecture = model::Architecture::Mixtral;
    c.moe.experts_per_token = u32("expert_used_count", 0);
    if (c.moe.experts_per_token <= 0 || c.moe.experts_per_token > c.moe.num_experts || c.moe.num_experts > 4096)
      fail("{}: expert_used_count {} of expert_count {} does not describe a top-k routing", label,
           c.moe.experts_per_token, c.moe.num_experts);
    c.moe.normalize_top_k = true;
    c.moe.block = c.architecture == model::Architecture::Mixtral ? "block_sparse_moe" : "mlp";
  }
  c.num_hidden_layers = u32("block_count", std::nullopt);
  c.max_position_embeddings = u32("context_length", std::nullopt);
  c.intermediate_size = u32("feed_forward_length", 0);
  c.num_attention_heads = u32("attention.head_count", 0);
  if (c.is_moe()) {
    // llama.cpp's default for qwen3moe: feed_forward_length / expert_used_count.
    c.moe.expert_intermediate_size = c.architecture == model::Architecture::Qwen3Moe
                                         ? u32("expert_feed_forward_length",
                                               static_cast<std::uint32_t>(c.intermediate_size / c.moe.experts_per_token))
                                         : c.intermediate_size;
    if (c.moe.expert_intermediate_size <= 0) fail("{}: the experts' feed-forward length must be positive", label);
  }
  if (c.num_attention_heads <= 0 || c.hidden_size <= 0 || c.num_hidden_layers <= 0 || c.intermediate_size <= 0)
    fail("{}: embedding_length, block_count, feed_forward_length and attention.head_count must be positive", label);
  c.num_key_value_heads = u32("attention.head_count_kv", static_cast<std::uint32_t>(c.num_attention_heads));
  c.head_dim = u32("attention.key_length", static_cast<std::uint32_t>(c.hidden_size / c.num_attention_heads));
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0 || c.head_dim <= 0 ||
      c.head_dim % 2 != 0)
    fail("{}: head counts {} / {} and head size {} do not describe a grouped-query attention", label,
         c.num_attention_heads, c.num_key_value_heads, c.head_dim);
  if (u32("attention.value_length", static_cast<std::uint32_t>(c.head_dim)) != c.head_dim)
    fail("{}: value_length differs from key_length; swan's attention needs them equal", label);
  c.rms_norm_eps = f32("attention.layer_norm_rms_epsilon", std::nullopt);
  c.rope_theta = f32("rope.freq_base", 10000.0f);
  if (const auto type = m.get_string(*arch + ".rope.scaling.type"); type && *type == "linear") {
    c.rope_scaling.type = model::RopeScaling::Type::Linear;
    c.rope_scaling.factor = f32("rope.scaling.factor", 1.0f);
  }

  const TensorRecord* embedding = file.find("token_embd.weight");
  if (embedding == nullptr || embedding->ne.size() != 2) fail("{}: token_embd.weight is missing or not 2-D", label);
  c.vocab_size = static_cast<std::int64_t>(embedding->ne[1]);
  c.qkv_bias = file.find("blk.0.attn_q.bias") != nullptr;
  c.o_bias = file.find("blk.0.attn_output.bias") != nullptr;
  c.mlp_bias = file.find("blk.0.ffn_gate.bias") != nullptr;
  c.qk_norm = file.find("blk.0.attn_q_norm.weight") != nullptr;
  return c;
}

}  // namespace swan::gguf
