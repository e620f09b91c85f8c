// mlx_lm's naming conventions for Llama-family models (Llama, Mistral, Qwen2, Qwen3 and
// their MoE variants): which HF tensors become which mlx_lm parameters, which of those are
// quantizable modules, and what mlx_lm's `sanitize` drops or stacks.
// Spec: ../shared/specs/mlx-format.md §5.3–5.5. Pure functions on names and shapes: no I/O,
// no tensor data.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace swan {
class ModelDirectory;
}

namespace swan::model {

// "model.layers.3.mlp.down_proj.weight" -> "model.layers.3.mlp.down_proj" (the mlx_lm module
// path); a name without a dot is its own path.
std::string module_path(std::string_view tensor_name);
// The final component ("weight", "bias", "scales", "biases", ...).
std::string_view parameter_name(std::string_view tensor_name);

// True for norm modules (RMSNorm/LayerNorm, q_norm/k_norm): never quantized.
bool is_norm_module(std::string_view module);

// A tensor mlx_lm quantizes (given a compatible group size): the `.weight` of a Linear,
// an Embedding or a SwitchLinear (stacked MoE experts, 3-D). Never norms, biases, 1-D
// tensors. Decided from name and shape, which is what the Llama-family module trees allow.
bool is_quantizable(std::string_view tensor_name, std::span<const std::int64_t> shape);

// Whether mlx_lm's loader builds the model with tied input/output embeddings (what
// `swan inspect` predicts; swan's own readers use decide_output_head below). Reads
// `tie_word_embeddings`; when the key is missing, applies mlx_lm's ModelArgs defaults
// (llama, mistral, qwen2: tied; qwen2_moe: untied). Throws for model types whose
// mlx_lm ModelArgs has no default (qwen3, qwen3_moe, unknown ones), naming the key to add.
bool ties_word_embeddings(const nlohmann::ordered_json& config);

// swan's one rule for the output head of a checkpoint it reads (convert, quantize, plan,
// eval, generate, GGUF output all call it):
// - tie_word_embeddings true: tied; a stray lm_head.* is dropped (as transformers and
//   mlx_lm's sanitize do);
// - tie_word_embeddings false: untied; a checkpoint without lm_head.weight is refused;
// - not stated: the checkpoint decides. A distinct lm_head.weight is kept (untied) with a
//   warning, because dropping it would silently change the model; writers then record
//   tie_word_embeddings false so mlx_lm loads the head. Without one the head is tied.
// `label` names config.json in errors and the warning.
struct OutputHead {
  bool tied = true;
  std::string warning;  // non-empty: say it before writing (an unstated tie decided by the files)
};
OutputHead decide_output_head(const nlohmann::ordered_json& config, bool checkpoint_has_lm_head,
                              std::string_view label);
// The same for an opened model directory (its config.json and its lm_head.weight).
OutputHead decide_output_head(const ModelDirectory& source);

// Tensors mlx_lm's sanitize removes: `*.rotary_emb.inv_freq` always, `lm_head.*` when tied.
bool is_dropped(std::string_view tensor_name, bool tied);

// A per-expert MoE tensor "<prefix>.experts.<E>.<proj>.weight"; mlx_lm stacks them over E
// into "<prefix>.switch_mlp.<proj>.weight". Qwen2-MoE / Qwen3-MoE name the projections
// gate_proj/up_proj/down_proj already; Mixtral's w1/w3/w2 become gate_proj/up_proj/down_proj,
// as mlx_lm's mixtral sanitize renames them.
struct ExpertTensor {
  std::string stacked_name;  // "<prefix>.switch_mlp.<proj>.weight"
  int expert = 0;
};
std::optional<ExpertTensor> parse_expert_tensor(std::string_view tensor_name);

// mlx_lm models whose `quant_predicate` fixes a module's precision under `mlx_lm.convert -q`
// whatever bits/group size the user asked for: qwen3_moe keeps its routers ("*.mlp.gate") at
// 8-bit g64. mlx_lm records such a module in config["quantization"] with exactly these two
// keys (no "mode"), even when they equal the global values.
struct PredicateDecision {
  int bits = 0;
  int group_size = 0;
};
std::optional<PredicateDecision> mlx_lm_predicate_decision(std::string_view model_type, std::string_view module);

struct SourceTensor {
  std::string name;
  std::vector<std::int64_t> shape;
};

// One parameter of the mlx_lm model and the HF tensors it is made of.
struct MlxParameter {
  std::string name;                  // mlx_lm parameter name (before quantization)
  std::vector<std::string> sources;  // HF tensor names; several for stacked experts, in expert order
  std::vector<std::int64_t> shape;   // logical (float) shape; [E, out, in] for stacked experts
  bool quantizable = false;

  std::string module() const { return module_path(name); }
};

// Maps HF tensors to mlx_lm parameters: drops what sanitize drops, stacks MoE experts
// (checking that every expert 0..E-1 is present with one shape), keeps everything else.
// Order: source order, a stacked tensor at the position of its first expert. Throws on
// duplicate names or incomplete expert sets.
std::vector<MlxParameter> mlx_parameters(std::span<const SourceTensor> sources, bool tied);

}  // namespace swan::model
