// The sparse MLP block of mixture-of-experts decoders (Qwen2-MoE, Qwen3-MoE, Mixtral): a
// router picks experts_per_token experts per token, and only those experts run, each on the
// batch of tokens that picked it, so the cost follows the active parameters, not the total.
// Experts are WeightMatrix views (one per expert, cut out of mlx_lm's stacked switch_mlp
// tensors or taken from HF's per-expert tensors), never expanded as a whole.
//
// Routing (HF and mlx_lm semantics): p = softmax(router(x)) in float32; the top-k of p, ties
// to the lower expert id; weights p_e, divided by their sum when normalize_top_k (Mixtral's
// softmax over the top-k logits is the same thing). y = Σ_e w_e · down_e(silu(gate_e(x)) ·
// up_e(x)), plus, for Qwen2-MoE, sigmoid(shared_expert_gate(x)) · shared_expert(x).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "swan/inference/weight_matrix.h"
#include "swan/model/architecture.h"

namespace swan::inference {

struct ExpertWeights {
  WeightMatrix gate, up, down;  // [inner, hidden], [inner, hidden], [hidden, inner]
};

struct MoeLayerWeights {
  WeightMatrix router;                 // [num_experts, hidden]
  std::vector<ExpertWeights> experts;  // num_experts
  std::optional<ExpertWeights> shared_expert;
  WeightMatrix shared_expert_gate;  // [1, hidden], with shared_expert only

  bool any_quantized() const;
  std::size_t stored_bytes() const;
};

// What one MoE layer's router did for a batch: per token, the picked experts in ascending id
// order ([tokens, experts_per_token]) and the router logits ([tokens, num_experts]).
struct LayerRouting {
  std::vector<std::int32_t> experts;
  std::vector<float> router_logits;
};

// out[tokens, hidden] = the MoE block applied to x[tokens, hidden]. When `routing` is given
// it receives the layer's routing for these tokens (appended).
void moe_forward(const MoeLayerWeights& weights, const model::MixtureOfExperts& moe, std::span<const float> x,
                 std::size_t tokens, std::span<float> out, LayerRouting* routing = nullptr);

}  // namespace swan::inference
