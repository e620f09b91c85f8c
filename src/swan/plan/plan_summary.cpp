#include "swan/plan/plan_summary.h"

#include <fmt/format.h>

#include <map>

#include "swan/model/tensor_role.h"

namespace swan::plan {
namespace {

double bits_per_weight(std::uint64_t bytes, std::uint64_t params) {
  return params == 0 ? 0.0 : 8.0 * static_cast<double>(bytes) / static_cast<double>(params);
}

// "4-bit g64" -> params, ordered float last.
std::map<std::pair<int, int>, std::int64_t> histogram(const QuantPlan& plan) {
  std::map<std::pair<int, int>, std::int64_t> out;
  for (const auto& t : plan.tensors()) out[{t.decision.bits, t.decision.group_size}] += t.num_elements();
  return out;
}

std::string label(std::pair<int, int> key) {
  return key.first == kFloatBits ? std::string("float") : fmt::format("{}-bit g{}", key.first, key.second);
}

}  // namespace

nlohmann::ordered_json summary_json(const BudgetOutcome& o) {
  nlohmann::ordered_json j;
  j["budget_bytes"] = o.budget_bytes;
  j["total_bytes"] = o.output_bytes;
  j["total_params"] = o.total_params;
  j["budget_bits_per_weight"] = bits_per_weight(o.budget_bytes, o.total_params);
  j["bits_per_weight_with_overhead"] = bits_per_weight(o.output_bytes, o.total_params);
  j["budget_used"] = o.budget_bytes == 0 ? 0.0 : static_cast<double>(o.output_bytes) / static_cast<double>(o.budget_bytes);
  j["predicted_error"] = o.plan->objective;
  j["predicted_error_lower_bound"] = o.plan->lower_bound;
  auto& hist = j["params_by_precision"] = nlohmann::ordered_json::array();
  for (const auto& [key, params] : histogram(o.plan->plan))
    hist.push_back({{"bits", key.first}, {"group_size", key.second}, {"params", params}});
  return j;
}

std::string format_summary(const BudgetOutcome& o) {
  std::string out;
  out += fmt::format("budget      {} bytes ({:.3f} bits/weight)\n", o.budget_bytes,
                     bits_per_weight(o.budget_bytes, o.total_params));
  out += fmt::format("planned     {} bytes ({:.3f} bits/weight incl. scales and biases, {:.2f} % of the budget)\n",
                     o.output_bytes, bits_per_weight(o.output_bytes, o.total_params),
                     o.budget_bytes ? 100.0 * static_cast<double>(o.output_bytes) / static_cast<double>(o.budget_bytes)
                                    : 0.0);
  out += fmt::format("predicted   Σ weight·relative error = {:.5g} (no allocation in budget below {:.5g})\n",
                     o.plan->objective, o.plan->lower_bound);
  std::int64_t planned_params = 0;
  for (const auto& t : o.plan->plan.tensors()) planned_params += t.num_elements();
  out += "parameters by precision (planned tensors):\n";
  for (const auto& [key, params] : histogram(o.plan->plan))
    out += fmt::format("  {:<11} {:>14} ({:5.1f} %)\n", label(key), params,
                       planned_params ? 100.0 * static_cast<double>(params) / static_cast<double>(planned_params) : 0.0);
  // Bits per role: where the budget went.
  std::map<std::string, std::pair<double, std::int64_t>> by_role;  // role -> (Σ bits·params, params)
  for (const auto& t : o.plan->plan.tensors()) {
    auto& [bits, params] = by_role[std::string(model::role_name(model::tensor_role(t.name)))];
    bits += static_cast<double>(t.decision.bits) * static_cast<double>(t.num_elements());
    params += t.num_elements();
  }
  out += "average bits by role (without scales):\n";
  for (const auto& [role, v] : by_role)
    out += fmt::format("  {:<12} {:5.2f}\n", role, v.second ? v.first / static_cast<double>(v.second) : 0.0);
  return out;
}

}  // namespace swan::plan
