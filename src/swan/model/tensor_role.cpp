#include "swan/model/tensor_role.h"

#include <array>
#include <string>

#include "swan/model/mlx_naming.h"

namespace swan::model {
namespace {

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

}  // namespace

std::string_view role_name(TensorRole role) {
  static constexpr std::array<std::string_view, 15> names = {
      "embedding", "lm_head",     "attention_q", "attention_k", "attention_v", "attention_o", "mlp_gate", "mlp_up",
      "mlp_down",  "expert_gate", "expert_up",   "expert_down", "router",      "norm",        "other"};
  return names[static_cast<std::size_t>(role)];
}

bool is_expert_role(TensorRole role) {
  return role == TensorRole::expert_gate || role == TensorRole::expert_up || role == TensorRole::expert_down;
}

std::optional<int> layer_index(std::string_view name) {
  constexpr std::string_view key = "layers.";
  for (std::size_t at = name.find(key); at != std::string_view::npos; at = name.find(key, at + 1)) {
    if (at > 0 && name[at - 1] != '.') continue;
    std::size_t i = at + key.size();
    long long value = 0;
    std::size_t digits = 0;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9') {
      if (++digits > 9) return std::nullopt;  // beyond int range for sure
      value = value * 10 + (name[i] - '0');
      ++i;
    }
    if (digits > 0 && (i == name.size() || name[i] == '.')) return static_cast<int>(value);
  }
  return std::nullopt;
}

TensorRole tensor_role(std::string_view name) {
  const std::string module = module_path(name);
  const std::string_view m = module;
  if (is_norm_module(m)) return TensorRole::norm;
  if (m.ends_with("embed_tokens") || m.ends_with("wte") || m.ends_with("tok_embeddings")) return TensorRole::embedding;
  if (m.ends_with("lm_head") || m == "output") return TensorRole::lm_head;
  if (m.ends_with("q_proj") || m.ends_with("wq")) return TensorRole::attention_q;
  if (m.ends_with("k_proj") || m.ends_with("wk")) return TensorRole::attention_k;
  if (m.ends_with("v_proj") || m.ends_with("wv")) return TensorRole::attention_v;
  if (m.ends_with("o_proj") || m.ends_with("wo")) return TensorRole::attention_o;
  if (m.ends_with("shared_expert_gate") || m.ends_with("mlp.gate") || m.ends_with("block_sparse_moe.gate") ||
      m.ends_with("router"))
    return TensorRole::router;
  const bool expert = contains(m, ".experts.") || contains(m, ".switch_mlp.");
  if (m.ends_with("gate_proj") || m.ends_with(".w1"))
    return expert ? TensorRole::expert_gate : TensorRole::mlp_gate;
  if (m.ends_with("up_proj") || m.ends_with(".w3")) return expert ? TensorRole::expert_up : TensorRole::mlp_up;
  if (m.ends_with("down_proj") || m.ends_with(".w2"))
    return expert ? TensorRole::expert_down : TensorRole::mlp_down;
  return TensorRole::other;
}

}  // namespace swan::model
