// Plan builders: uniform, float and SWAN-manifest plans.
#include "swan/plan/builders.h"

#include <fmt/format.h>

#include <fstream>

#include "swan/core/error.h"

namespace swan::plan {

QuantPlan uniform_plan(std::span<const PlanTarget> targets, int bits, int group_size) {
  const QuantDecision decision = QuantDecision::quantized(bits, group_size);
  QuantPlan plan("uniform", decision);
  for (const auto& target : targets) plan.set(target, decision, "uniform");
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

ManifestDecisions read_manifest_decisions(const std::filesystem::path& path) {
  // TODO(analysis): switch to analysis/manifest.h's reader once it lands; this reads the
  // documented layout (swan-method.md §6) directly.
  std::ifstream in(path);
  if (!in) fail("cannot open manifest '{}'", path.string());
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::exception& e) {
    fail("manifest '{}' is not valid JSON: {}", path.string(), e.what());
  }
  if (!manifest.is_object() || !manifest.contains("shards") || !manifest["shards"].is_object())
    fail("manifest '{}' has no \"shards\" object; is it a SWAN manifest (swan analyze)?", path.string());
  ManifestDecisions decisions;
  for (const auto& [shard, body] : manifest["shards"].items()) {
    if (!body.contains("tensors") || !body["tensors"].is_object())
      fail("manifest '{}': shard '{}' has no \"tensors\" object", path.string(), shard);
    for (const auto& [name, record] : body["tensors"].items()) {
      const auto* decision = record.contains("decision") ? &record["decision"] : nullptr;
      if (decision == nullptr || !decision->contains("bits") || !(*decision)["bits"].is_number_integer())
        fail("manifest '{}': tensor '{}' has no integer decision.bits", path.string(), name);
      ManifestDecision d{(*decision)["bits"].get<int>(), std::nullopt};
      if (decision->contains("group_size") && !(*decision)["group_size"].is_null())
        d.group_size = (*decision)["group_size"].get<int>();
      decisions[name] = d;
    }
  }
  return decisions;
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

QuantPlan swan_plan(std::span<const PlanTarget> targets, const ManifestDecisions& decisions) {
  QuantPlan plan("swan", QuantDecision::quantized(4, 128));
  for (const auto& target : targets) {
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
