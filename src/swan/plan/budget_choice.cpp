#include "swan/plan/budget_choice.h"

#include <fmt/core.h>

#include <cctype>
#include <cmath>

#include "swan/analysis/error_curve.h"
#include "swan/core/error.h"
#include "swan/plan/allocator.h"

namespace swan::plan {

using model::TensorRole;

std::uint64_t budget_bytes(const Budget& budget, std::uint64_t total_params) {
  if (budget.total_bytes) return *budget.total_bytes;
  SWAN_CHECK(budget.bits_per_weight.has_value(), "a budget needs bits per weight or a size");
  const double bpw = *budget.bits_per_weight;
  if (!std::isfinite(bpw) || bpw <= 0.0) fail("--target-bpw must be a positive number, not {}", bpw);
  return static_cast<std::uint64_t>(std::floor(bpw * static_cast<double>(total_params) / 8.0));
}

std::string describe(const Budget& budget) {
  if (budget.total_bytes) return fmt::format("{} bytes", *budget.total_bytes);
  if (budget.bits_per_weight) return fmt::format("{} bits/weight", *budget.bits_per_weight);
  return {};
}

std::uint64_t parse_size(std::string_view text) {
  const std::string s(text);
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(s, &used);
  } catch (const std::exception&) {
    fail("'{}' is not a size; write e.g. 5.5GB, 5.5GiB, 3.2MB or a number of bytes", text);
  }
  std::string unit = s.substr(used);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) unit.erase(0, 1);
  std::string lower;
  for (const char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0.0;
  if (lower.empty() || lower == "b") scale = 1;
  else if (lower == "k" || lower == "kb") scale = 1e3;
  else if (lower == "m" || lower == "mb") scale = 1e6;
  else if (lower == "g" || lower == "gb") scale = 1e9;
  else if (lower == "t" || lower == "tb") scale = 1e12;
  else if (lower == "kib") scale = 1024.0;
  else if (lower == "mib") scale = 1024.0 * 1024;
  else if (lower == "gib") scale = 1024.0 * 1024 * 1024;
  else if (lower == "tib") scale = 1024.0 * 1024 * 1024 * 1024;
  else fail("'{}': unknown size unit '{}'; use B, kB, MB, GB, TB, KiB, MiB, GiB or TiB", text, unit);
  const double bytes = value * scale;
  if (!std::isfinite(bytes) || bytes < 1.0 || bytes > 1.8e19) fail("'{}' is not a usable size", text);
  return static_cast<std::uint64_t>(std::floor(bytes));
}

// Per unit of relative error, what each role does to the model's output (its KL-divergence).
// Calibrated on the measured sensitivities (`--sensitivity measured`) of both test models,
// qwen3-tiny-5.8m and stories260k (README): a tied embedding, which is also the output head,
// outweighs any single matrix 10-50x; MLP projections weigh most among the others, the value
// projection next, then keys, output and query projections. Routed experts weigh as MLPs: a
// token sees an expert's relative error in full whenever it is routed there. No layer-position
// term: the two models disagree on which layers matter most.
double role_prior(TensorRole role, bool serves_output) {
  switch (role) {
    case TensorRole::embedding: return serves_output ? 20.0 : 2.0;
    case TensorRole::lm_head: return 16.0;
    case TensorRole::attention_v: return 0.7;
    case TensorRole::attention_k: return 0.4;
    case TensorRole::attention_o: return 0.35;
    case TensorRole::attention_q: return 0.3;
    default: return 1.0;  // MLP and expert projections, routers, anything else
  }
}

namespace {

// The options each tensor may take under the rules, as knapsack items; `allowed[i][k]` is
// the index in tensors[i].options of item i's option k.
struct RuledItems {
  std::vector<std::vector<std::size_t>> allowed;
  std::vector<KnapsackItem> items;
};

RuledItems ruled_items(std::span<const PricedTensor> tensors, const BudgetRules& rules) {
  RuledItems r;
  r.allowed.resize(tensors.size());
  r.items.resize(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    SWAN_CHECK(!t.options.empty(), "planner: tensor '{}' has no options", t.name);
    SWAN_CHECK(std::isfinite(t.weight) && t.weight >= 0.0, "planner: tensor '{}' has weight {}", t.name, t.weight);
    const bool router = t.role == TensorRole::router;
    bool any_above_floor = false;
    for (const auto& o : t.options)
      if (o.quantized && analysis::sqnr_db(o.relative_error) >= rules.sqnr_floor_db) any_above_floor = true;
    for (std::size_t j = 0; j < t.options.size(); ++j) {
      const auto& o = t.options[j];
      if (o.quantized) {
        if (router && o.bits < rules.router_min_bits) continue;
        if (any_above_floor && analysis::sqnr_db(o.relative_error) < rules.sqnr_floor_db) continue;
      }
      r.allowed[i].push_back(j);
      r.items[i].options.push_back({o.bytes, t.weight * o.relative_error});
    }
    SWAN_CHECK(!r.items[i].options.empty(), "planner: the rules leave tensor '{}' no option", t.name);
  }
  return r;
}

}  // namespace

std::uint64_t minimum_budget(std::span<const PricedTensor> tensors, const BudgetRules& rules) {
  return minimum_bytes(ruled_items(tensors, rules).items);
}

BudgetChoice choose_for_budget(std::span<const PricedTensor> tensors, std::uint64_t budget, const BudgetRules& rules) {
  const auto [allowed, items] = ruled_items(tensors, rules);
  BudgetChoice result;
  result.minimum_bytes = minimum_bytes(items);
  const auto allocation = allocate(items, budget);
  if (!allocation)
    fail("the budget leaves {} bytes for the quantizable tensors, but the smallest allocation the rules allow needs "
         "{} bytes; raise the budget to at least that (plus the tensors that stay float)",
         budget, result.minimum_bytes);
  result.option.resize(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) result.option[i] = allowed[i][allocation->choice[i]];
  result.bytes = allocation->bytes;
  result.objective = allocation->cost;
  result.lower_bound = allocation->lower_bound;
  return result;
}

}  // namespace swan::plan
