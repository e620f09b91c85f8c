// Plan builders: uniform, float and SWAN-manifest plans.
#include "swan/plan/builders.h"

#include <fmt/format.h>

#include <cctype>

#include "swan/core/error.h"

namespace swan::plan {

QuantPlan uniform_plan(std::span<const PlanTarget> targets, int bits, int group_size, GroupSizeFallback fallback) {
  const QuantDecision decision = QuantDecision::quantized(bits, group_size);
  QuantPlan plan("uniform", decision);
  for (const auto& target : targets) plan.set(target, decision, "uniform", fallback);
  return plan;
}

QuantPlan float_plan(std::span<const PlanTarget> targets) {
  QuantPlan plan("none", QuantDecision::keep_float());
  for (const auto& target : targets) plan.set(target, QuantDecision::keep_float(), "no quantization requested");
  return plan;
}

int swan_group_size(int bits) {
  switch (bits) {
    case 8: return 64;
    case 4: return 128;
    case 2: return 32;
    default: return 64;
  }
}

ManifestDecisions manifest_decisions(const analysis::Manifest& manifest) {
  ManifestDecisions decisions;
  for (const auto& shard : manifest.shards)
    for (const auto& tensor : shard.tensors)
      decisions[tensor.name] = ManifestDecision{tensor.decision.bits, tensor.decision.group_size};
  return decisions;
}

ManifestDecisions read_manifest_decisions(const std::filesystem::path& path) {
  return manifest_decisions(analysis::read_manifest(path));
}

namespace {
QuantDecision to_decision(const ManifestDecision& d, const std::string& name) {
  if (d.bits == kFloatBits) return QuantDecision::keep_float();
  try {
    return QuantDecision::quantized(d.bits, d.group_size.value_or(swan_group_size(d.bits)));
  } catch (const Error& e) {
    fail("manifest decision for tensor '{}': {}", name, e.what());
  }
}
// Orders decisions by precision: float above any bit width, then more bits, then smaller groups.
bool wider(QuantDecision a, QuantDecision b) {
  if (a.bits != b.bits) return a.bits > b.bits;
  return a.is_quantized() && a.group_size < b.group_size;
}
}  // namespace

bool swan_never_quantizes(std::string_view name) {
  std::string module(name.ends_with(".weight") ? name.substr(0, name.size() - 7) : name);
  std::string lower = module;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* pattern : {"layernorm", "layer_norm", "rmsnorm", "embed_tokens", "lm_head", "vision_model",
                              "multi_modal_projector"})
    if (lower.find(pattern) != std::string::npos) return true;
  return lower.ends_with("router") || lower.ends_with("gate") || lower == "model.norm";
}

QuantPlan swan_plan(std::span<const PlanTarget> targets, const ManifestDecisions& decisions) {
  QuantPlan plan("swan", QuantDecision::quantized(4, 128));
  for (const auto& target : targets) {
    if (swan_never_quantizes(target.name)) {
      plan.set(target, QuantDecision::keep_float(), "SWAN predicate: never quantized");
      continue;
    }
    const std::vector<std::string> sources = target.sources.empty() ? std::vector{target.name} : target.sources;
    std::optional<QuantDecision> chosen;
    std::string reason;
    auto consider = [&](const std::string& name) {
      auto it = decisions.find(name);
      if (it == decisions.end()) return false;
      const QuantDecision d = to_decision(it->second, name);
      if (!chosen || wider(d, *chosen)) chosen = d;
      return true;
    };
    if (consider(target.name)) {
      reason = "swan manifest";
    } else {
      std::size_t found = 0;
      for (const auto& source : sources) found += consider(source) ? 1 : 0;
      if (found > 0 && found < sources.size())
        fail("manifest covers {} of the {} tensors stacked into '{}'; re-run the analysis on the whole model",
             found, sources.size(), target.name);
      if (found > 1) reason = fmt::format("swan manifest (widest of {} stacked tensors)", found);
      else if (found == 1) reason = "swan manifest";
    }
    if (!chosen) {
      chosen = QuantDecision::quantized(4, swan_group_size(4));
      reason = "not in manifest: SWAN default 4 bits";
    }
    plan.set(target, *chosen, reason);
  }
  return plan;
}

}  // namespace swan::plan
