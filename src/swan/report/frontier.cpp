#include "swan/report/frontier.h"

#include <algorithm>

namespace swan::report {

std::vector<FrontierPoint> planner_frontier(std::span<const plan::BudgetTarget> targets, std::uint64_t fixed_bytes,
                                            const plan::BudgetRules& rules, std::size_t points) {
  std::vector<FrontierPoint> out;
  if (targets.empty() || points < 2) return out;
  const std::uint64_t low = plan::minimum_budget(targets, rules);
  std::uint64_t high = 0;  // every target at its largest quantized option (8-bit g32 where legal)
  for (const auto& t : targets) {
    std::uint64_t largest = 0;
    for (const auto& o : t.options)
      if (o.decision.is_quantized()) largest = std::max(largest, o.bytes);
    high += largest > 0 ? largest : t.options.front().bytes;
  }
  high = std::max(high, low);
  for (std::size_t i = 0; i < points; ++i) {
    const std::uint64_t budget =
        low + static_cast<std::uint64_t>(static_cast<long double>(high - low) * i / (points - 1));
    const auto planned = plan::plan_for_budget(targets, budget, rules);
    const FrontierPoint p{planned.bytes + fixed_bytes, planned.objective};
    if (!out.empty() && out.back().bytes == p.bytes) continue;
    out.push_back(p);
  }
  return out;
}

std::optional<FrontierPoint> allocation_point(std::span<const plan::BudgetTarget> targets, std::uint64_t fixed_bytes,
                                              const std::map<std::string, plan::QuantDecision, std::less<>>& decisions) {
  FrontierPoint point{fixed_bytes, 0.0};
  for (const auto& t : targets) {
    const auto it = decisions.find(t.target.name);
    if (it == decisions.end()) return std::nullopt;
    const auto option = std::find_if(t.options.begin(), t.options.end(),
                                     [&](const plan::PricedOption& o) { return o.decision == it->second; });
    if (option == t.options.end()) return std::nullopt;
    point.bytes += option->bytes;
    point.predicted_error += t.weight * option->relative_error;
  }
  return point;
}

}  // namespace swan::report
