// Plan builders: uniform, float and SWAN-manifest plans.
#include "swan/plan/builders.h"

#include <fmt/format.h>

#include <cctype>

#include "swan/core/error.h"
#include "swan/io/model_directory.h"
#include "swan/model/tensor_role.h"

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
  std::size_t candidates = 0, matched = 0;
  for (const auto& target : targets) {
    if (swan_never_quantizes(target.name)) {
      plan.set(target, QuantDecision::keep_float(), "SWAN predicate: never quantized");
      continue;
    }
    ++candidates;
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
    } else {
      ++matched;
    }
    plan.set(target, *chosen, reason);
  }
  // A manifest of another model would otherwise quietly become "4 bits everywhere".
  if (candidates > 0 && matched == 0)
    fail("the manifest decides none of this model's {} quantizable tensors ({} entries, none with a name of this "
         "model); it was made for another model: run `swan analyze` on this one",
         candidates, decisions.size());
  return plan;
}

QuantPlan mixed_recipe_plan(std::span<const PlanTarget> targets, std::string_view recipe, int group_size) {
  int low = 0, high = 0;
  if (recipe == "mixed_2_6") low = 2, high = 6;
  else if (recipe == "mixed_3_4") low = 3, high = 4;
  else if (recipe == "mixed_3_6") low = 3, high = 6;
  else if (recipe == "mixed_4_6") low = 4, high = 6;
  else fail("unknown quantization recipe '{}'; use mixed_2_6, mixed_3_4, mixed_3_6 or mixed_4_6", recipe);
  int layers = 0;
  for (const auto& t : targets)
    if (t.name.find("down_proj") != std::string::npos) ++layers;
  auto more_bits = [&](int i) { return i < layers / 8 || i >= 7 * layers / 8 || (i - layers / 8) % 3 == 2; };
  QuantPlan plan(std::string(recipe), QuantDecision::quantized(low, group_size));
  plan.list_every_module = true;
  for (const auto& target : targets) {
    // mlx_lm takes the layer index from the third path component ("model.layers.<i>...").
    int index = 0;
    if (const auto i = model::layer_index(target.name)) index = *i;
    const bool layer_projection =
        target.name.find("v_proj") != std::string::npos || target.name.find("down_proj") != std::string::npos;
    const bool high_bits = target.name.find("lm_head") != std::string::npos || (layer_projection && more_bits(index));
    // Like mlx_lm: a matrix the group size does not divide stays float.
    plan.set(target, QuantDecision::quantized(high_bits ? high : low, group_size), std::string(recipe),
             GroupSizeFallback::keep_float);
  }
  return plan;
}

QuantPlan read_plan_file(const std::filesystem::path& path, std::span<const PlanTarget> targets) {
  QuantPlan plan = [&] {
    try {
      return plan_from_json(read_json_file(path));
    } catch (const Error& e) {
      fail("plan {}: {}", path.string(), e.what());
    } catch (const nlohmann::json::exception& e) {
      fail("plan {}: malformed ({})", path.string(), e.what());
    }
  }();
  for (const auto& target : targets) {
    const TensorPlan* entry = plan.find(target.name);
    if (!entry)
      fail("plan {} has no decision for tensor '{}' of this model; was it made for another model? Re-run `swan plan`",
           path.string(), target.name);
    if (entry->shape != target.shape)
      fail("plan {}: tensor '{}' has another shape in the plan than in the model; was it made for another model? "
           "Re-run `swan plan`",
           path.string(), target.name);
  }
  if (plan.tensors().size() != targets.size())
    fail("plan {} decides {} tensors, but this model has {} quantizable tensors; re-run `swan plan` for this model",
         path.string(), plan.tensors().size(), targets.size());
  return plan;
}

}  // namespace swan::plan
