// Plan builders: turn a rule or a SWAN manifest into a QuantPlan over a set of targets
// (the tensors the output format can quantize; the caller decides which those are, e.g.
// mlx::quantizable_targets). Pure: names, shapes and decisions in, a plan out.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "swan/analysis/manifest.h"
#include "swan/plan/quant_plan.h"

namespace swan::plan {

// Every target at `bits`/`group_size`. By default exactly what mlx_lm.convert -q --q-bits B
// --q-group-size G writes: a target whose last dimension is not a multiple of the group size
// stays float; GroupSizeFallback::smaller_groups quantizes it with a smaller group instead.
QuantPlan uniform_plan(std::span<const PlanTarget> targets, int bits, int group_size,
                       GroupSizeFallback fallback = GroupSizeFallback::keep_float);

// No quantization: every target kept float (a plain dtype conversion).
QuantPlan float_plan(std::span<const PlanTarget> targets);

// One tensor's decision as a manifest records it: `decision.bits` (2, 3, 4, 5, 6, 8 or 16)
// and, in swan's own manifests, an optional `decision.group_size`.
struct ManifestDecision {
  int bits = 4;
  std::optional<int> group_size;
};
using ManifestDecisions = std::map<std::string, ManifestDecision, std::less<>>;

// Per-tensor decisions of a manifest (SWAN reference manifests and swan's own).
ManifestDecisions manifest_decisions(const analysis::Manifest& manifest);
ManifestDecisions read_manifest_decisions(const std::filesystem::path& manifest);

// SWAN's group size for a bit width (swan-method.md §5): 8 → 64, 4 → 128, 2 → 32; the
// widths SWAN does not use (3, 5, 6) get MLX's default 64.
int swan_group_size(int bits);

// SWAN's MLX predicate (swan-method.md §5) keeps these float whatever the manifest says:
// names containing layernorm/layer_norm/rmsnorm/embed_tokens/lm_head/vision_model/
// multi_modal_projector, modules ending in "router" or "gate" (MoE routers, not gate_proj),
// model.norm.
bool swan_never_quantizes(std::string_view tensor_name);

// The SWAN plan: targets SWAN never quantizes stay float; every other target takes its manifest decision (bits; group size from the
// manifest or swan_group_size). A stacked target (several sources) takes the widest
// decision among its sources. Targets missing from the manifest get 4 bits (SWAN's
// predicate rule). Defaults are 4-bit g128, what SWAN passes to mlx_lm.convert.
QuantPlan swan_plan(std::span<const PlanTarget> targets, const ManifestDecisions& decisions);

// mlx_lm's mixed recipes (`mlx_lm.convert --quant-predicate mixed_L_H`, spec §5.7): with
// L = the number of down_proj modules, a layer "uses more bits" if i < L/8, i >= 7L/8 or
// (i - L/8) % 3 == 2; v_proj and down_proj of those layers and lm_head get `high_bits`,
// everything else (embeddings included) `low_bits`, all at `group_size`, each module with
// its own config entry. `recipe` is "mixed_2_6", "mixed_3_4", "mixed_3_6" or "mixed_4_6".
QuantPlan mixed_recipe_plan(std::span<const PlanTarget> targets, std::string_view recipe, int group_size);

// Reads a saved plan (swan-plan/1) and checks it was made for these targets: the same
// tensor names with the same shapes. Throws swan::Error naming the file and the mismatch.
QuantPlan read_plan_file(const std::filesystem::path& path, std::span<const PlanTarget> targets);

}  // namespace swan::plan
