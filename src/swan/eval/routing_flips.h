// Routing flips, the damage specific to mixture-of-experts quantization: per MoE layer, the
// fraction of tokens for which the quantized model's router picked another set of experts
// than the base model's, on the same tokens in the same context. A flipped token runs
// different expert weights altogether, which per-tensor error metrics do not see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "swan/inference/moe.h"

namespace swan::eval {

struct LayerFlips {
  std::size_t layer = 0;       // decoder layer index
  std::uint64_t changed = 0;   // tokens whose expert set differs
  std::uint64_t tokens = 0;    // tokens compared
  double fraction() const { return tokens == 0 ? 0.0 : static_cast<double>(changed) / static_cast<double>(tokens); }
};

class RoutingFlipCounter {
 public:
  // One forward pass of both models over the same tokens: one LayerRouting per layer each
  // (empty for dense layers). Throws when the two passes do not line up (other models).
  void add(const std::vector<inference::LayerRouting>& base, const std::vector<inference::LayerRouting>& model,
           std::size_t experts_per_token);
  const std::vector<LayerFlips>& layers() const { return layers_; }

 private:
  std::vector<LayerFlips> layers_;  // MoE layers in order, created on the first add
};

}  // namespace swan::eval
