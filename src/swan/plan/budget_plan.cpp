#include "swan/plan/budget_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "swan/analysis/error_curve.h"
#include "swan/core/error.h"
#include "swan/plan/allocator.h"

namespace swan::plan {

using model::TensorRole;

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

std::int64_t elements_of(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (const auto d : shape) n *= d;
  return n;
}

// Relative error of each (bits, group) option for the whole target: the element-weighted mean
// of its sources' curves (exact for stacked experts of equal norm), only options every source has.
std::vector<analysis::CurvePoint> target_curve(const PlanTarget& target, const analysis::Manifest& manifest,
                                               quant::ScaleMethod scales) {
  const std::vector<std::string> sources = target.sources.empty() ? std::vector{target.name} : target.sources;
  std::vector<analysis::CurvePoint> combined;
  double total_elements = 0.0;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    const analysis::ManifestTensor* entry = manifest.find(sources[s]);
    if (!entry) fail("the manifest has no tensor '{}' (needed for '{}'); analyse this model with `swan analyze`",
                     sources[s], target.name);
    if (!entry->error_curve)
      fail("the manifest has no error curve for '{}'; re-run `swan analyze` (swan 0.3+, without --no-curves)",
           sources[s]);
    const auto& curve = *entry->error_curve;
    if (curve.scales != quant::to_string(scales))
      fail("the error curve of '{}' measures the {} quantizer, but the output will use {} scales; analyse with "
           "the same --scales",
           sources[s], curve.scales, quant::to_string(scales));
    const double n = static_cast<double>(curve.rows * curve.cols);
    if (s == 0) {
      combined = curve.points;
      for (auto& p : combined) p.relative_error *= n;
    } else {
      std::erase_if(combined, [&](const analysis::CurvePoint& p) { return !curve.find(p.bits, p.group_size); });
      for (auto& p : combined) p.relative_error += n * curve.find(p.bits, p.group_size)->relative_error;
    }
    total_elements += n;
  }
  for (auto& p : combined) p.relative_error = total_elements > 0.0 ? p.relative_error / total_elements : 0.0;
  return combined;
}

}  // namespace

std::vector<BudgetTarget> budget_targets(std::span<const PlanTarget> targets, const analysis::Manifest& manifest,
                                         std::size_t scale_bytes, std::size_t float_bytes, bool tied,
                                         const Sensitivities* sensitivities, quant::ScaleMethod scales) {
  std::vector<BudgetTarget> out;
  out.reserve(targets.size());
  for (const auto& target : targets) {
    BudgetTarget t;
    t.target = target;
    t.role = model::tensor_role(target.name);
    t.weight = role_prior(t.role, tied && t.role == TensorRole::embedding);
    if (sensitivities) {
      if (const auto it = sensitivities->find(target.name); it != sensitivities->end()) t.weight = it->second;
    }
    const auto elements = static_cast<std::uint64_t>(elements_of(target.shape));
    t.options.push_back({QuantDecision::keep_float(), elements * float_bytes, 0.0});
    if (!target.shape.empty() && analysis::has_error_curve(target.shape.back())) {
      for (const auto& p : target_curve(target, manifest, scales)) {
        const QuantDecision d = QuantDecision::quantized(p.bits, p.group_size);
        t.options.push_back({d, quantized_bytes(static_cast<std::int64_t>(elements), d, scale_bytes), p.relative_error});
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

// The options each target may take under the rules, as knapsack items; `allowed[i][k]` is
// the index in targets[i].options of item i's option k.
struct RuledItems {
  std::vector<std::vector<std::size_t>> allowed;
  std::vector<KnapsackItem> items;
};

RuledItems ruled_items(std::span<const BudgetTarget> targets, const BudgetRules& rules) {
  RuledItems r;
  r.allowed.resize(targets.size());
  r.items.resize(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    SWAN_CHECK(!t.options.empty(), "planner: tensor '{}' has no options", t.target.name);
    SWAN_CHECK(std::isfinite(t.weight) && t.weight >= 0.0, "planner: tensor '{}' has weight {}", t.target.name,
               t.weight);
    const bool router = t.role == TensorRole::router;
    bool any_above_floor = false;
    for (const auto& o : t.options)
      if (o.decision.is_quantized() && analysis::sqnr_db(o.relative_error) >= rules.sqnr_floor_db) any_above_floor = true;
    for (std::size_t j = 0; j < t.options.size(); ++j) {
      const auto& o = t.options[j];
      if (o.decision.is_quantized()) {
        if (router && o.decision.bits < rules.router_min_bits) continue;
        if (any_above_floor && analysis::sqnr_db(o.relative_error) < rules.sqnr_floor_db) continue;
      }
      r.allowed[i].push_back(j);
      r.items[i].options.push_back({o.bytes, t.weight * o.relative_error});
    }
  }
  return r;
}

}  // namespace

std::uint64_t minimum_budget(std::span<const BudgetTarget> targets, const BudgetRules& rules) {
  return minimum_bytes(ruled_items(targets, rules).items);
}

BudgetPlan plan_for_budget(std::span<const BudgetTarget> targets, std::uint64_t budget, const BudgetRules& rules) {
  const auto [allowed, items] = ruled_items(targets, rules);
  BudgetPlan result;
  result.minimum_bytes = minimum_bytes(items);
  const auto allocation = allocate(items, budget);
  if (!allocation)
    fail("the budget leaves {} bytes for the quantizable tensors, but the smallest allocation the rules allow needs "
         "{} bytes; raise the budget to at least that (plus the tensors that stay float)",
         budget, result.minimum_bytes);

  // mlx_lm's config records one global precision: the one covering the most parameters.
  std::map<std::pair<int, int>, std::int64_t> params_by_decision;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& d = targets[i].options[allowed[i][allocation->choice[i]]].decision;
    if (d.is_quantized()) params_by_decision[{d.bits, d.group_size}] += elements_of(targets[i].target.shape);
  }
  QuantDecision defaults = QuantDecision::keep_float();
  std::int64_t most = -1;
  for (const auto& [key, params] : params_by_decision)
    if (params > most) {
      most = params;
      defaults = QuantDecision::quantized(key.first, key.second);
    }
  result.plan = QuantPlan("budget", defaults);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    const auto& o = t.options[allowed[i][allocation->choice[i]]];
    const std::string reason =
        o.decision.is_quantized()
            ? fmt::format("budget: {} rel. error {:.3g} ({:.1f} dB), weight {:.3g}", model::role_name(t.role),
                          o.relative_error, analysis::sqnr_db(o.relative_error), t.weight)
            : fmt::format("budget: {} kept float, weight {:.3g}", model::role_name(t.role), t.weight);
    result.plan.set(t.target, o.decision, reason);
  }
  result.bytes = allocation->bytes;
  result.objective = allocation->cost;
  result.lower_bound = allocation->lower_bound;
  return result;
}

}  // namespace swan::plan
