// What a weight tensor does in a Llama-family decoder, from its name (HF or mlx_lm naming):
// the one place that tells experts from always-active tensors. An allocator weighs them
// differently: attention, dense MLPs and shared experts act on every token, a routed
// expert's error reaches a token only when the router picks it, and a router's error moves
// tokens to other experts altogether (keep it at >= 8 bits or float).
#pragma once

#include <string_view>

namespace swan::model {

enum class TensorRole {
  Embedding,         // model.embed_tokens
  OutputHead,        // lm_head
  Norm,              // RMSNorm weights (input/post-attention, q/k norms, final)
  Attention,         // self_attn.{q,k,v,o}_proj
  DenseMlp,          // mlp.{gate,up,down}_proj of a dense layer
  Router,            // mlp.gate / block_sparse_moe.gate
  Expert,            // experts.E.* (HF) or switch_mlp.* (mlx_lm, stacked)
  SharedExpert,      // Qwen2-MoE mlp.shared_expert.*
  SharedExpertGate,  // Qwen2-MoE mlp.shared_expert_gate
  Other,
};

std::string_view role_name(TensorRole role);  // "expert", "router", "attention", ...
TensorRole tensor_role(std::string_view tensor_name);
// Every token's computation goes through the tensor (everything but routed experts).
inline bool is_always_active(TensorRole role) { return role != TensorRole::Expert; }

}  // namespace swan::model
