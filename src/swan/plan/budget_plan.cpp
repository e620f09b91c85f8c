#include "swan/plan/budget_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "swan/analysis/error_curve.h"
#include "swan/core/error.h"

namespace swan::plan {

using model::TensorRole;

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

// The format-neutral view of the MLX options (budget_choice.h), in the same order.
std::vector<PricedTensor> priced_tensors(std::span<const BudgetTarget> targets) {
  std::vector<PricedTensor> out;
  out.reserve(targets.size());
  for (const auto& t : targets) {
    PricedTensor p{t.target.name, t.role, t.weight, {}};
    for (const auto& o : t.options)
      p.options.push_back({o.bytes, o.relative_error, o.decision.is_quantized(), o.decision.bits});
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

std::uint64_t minimum_budget(std::span<const BudgetTarget> targets, const BudgetRules& rules) {
  return minimum_budget(priced_tensors(targets), rules);
}

BudgetPlan plan_for_budget(std::span<const BudgetTarget> targets, std::uint64_t budget, const BudgetRules& rules) {
  const BudgetChoice choice = choose_for_budget(priced_tensors(targets), budget, rules);
  BudgetPlan result;
  result.minimum_bytes = choice.minimum_bytes;

  // mlx_lm's config records one global precision: the one covering the most parameters.
  std::map<std::pair<int, int>, std::int64_t> params_by_decision;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& d = targets[i].options[choice.option[i]].decision;
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
    const auto& o = t.options[choice.option[i]];
    const std::string reason =
        o.decision.is_quantized()
            ? fmt::format("budget: {} rel. error {:.3g} ({:.1f} dB), weight {:.3g}", model::role_name(t.role),
                          o.relative_error, analysis::sqnr_db(o.relative_error), t.weight)
            : fmt::format("budget: {} kept float, weight {:.3g}", model::role_name(t.role), t.weight);
    result.plan.set(t.target, o.decision, reason);
  }
  result.bytes = choice.bytes;
  result.objective = choice.objective;
  result.lower_bound = choice.lower_bound;
  return result;
}

}  // namespace swan::plan
