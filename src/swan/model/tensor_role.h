// What a weight tensor does in a Llama-family transformer (dense or MoE), from its name:
// the planner weighs tensors by role, and reports group by it. One rule for HF names
// ("model.layers.3.mlp.experts.7.down_proj.weight") and mlx_lm names
// ("model.layers.3.mlp.switch_mlp.down_proj.weight") alike.
#pragma once

#include <optional>
#include <string_view>

namespace swan::model {

enum class TensorRole {
  embedding,       // embed_tokens (tied models: also the output head)
  lm_head,
  attention_q,
  attention_k,
  attention_v,
  attention_o,
  mlp_gate,        // dense MLP or shared expert: gate_proj / w1
  mlp_up,          // up_proj / w3
  mlp_down,        // down_proj / w2
  expert_gate,     // routed experts (per-expert or stacked switch_mlp)
  expert_up,
  expert_down,
  router,          // mlp.gate / block_sparse_moe.gate / shared_expert_gate
  norm,
  other,
};

std::string_view role_name(TensorRole role);  // "attention_q", "expert_down", ...

TensorRole tensor_role(std::string_view tensor_name);

// N of the first "layers.N." component; nullopt when there is none or N does not fit in an
// int (names come from untrusted files).
std::optional<int> layer_index(std::string_view tensor_name);

bool is_expert_role(TensorRole role);

}  // namespace swan::model
