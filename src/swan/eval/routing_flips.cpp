// Counting expert-set changes between two models' routings.
#include "swan/eval/routing_flips.h"

#include <algorithm>

#include "swan/core/error.h"

namespace swan::eval {

void RoutingFlipCounter::add(const std::vector<inference::LayerRouting>& base,
                             const std::vector<inference::LayerRouting>& model, std::size_t experts_per_token) {
  if (base.size() != model.size())
    fail("routing of {} and {} layers cannot be compared: the models differ in depth", base.size(), model.size());
  std::size_t moe_index = 0;
  for (std::size_t layer = 0; layer < base.size(); ++layer) {
    const auto& a = base[layer].experts;
    const auto& b = model[layer].experts;
    if (a.empty() && b.empty()) continue;
    if (a.size() != b.size() || a.size() % experts_per_token != 0)
      fail("layer {}: {} and {} expert picks cannot be compared; both models must be MoE in the same layers", layer,
           a.size(), b.size());
    if (moe_index == layers_.size()) layers_.push_back({layer, 0, 0});
    LayerFlips& flips = layers_[moe_index++];
    // Picks are stored in ascending id order, so equal sets are equal slices.
    for (std::size_t start = 0; start < a.size(); start += experts_per_token) {
      const bool same = std::equal(a.begin() + static_cast<std::ptrdiff_t>(start),
                                   a.begin() + static_cast<std::ptrdiff_t>(start + experts_per_token),
                                   b.begin() + static_cast<std::ptrdiff_t>(start));
      flips.changed += same ? 0 : 1;
      ++flips.tokens;
    }
  }
}

}  // namespace swan::eval
