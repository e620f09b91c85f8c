// mlx_lm naming conventions; see mlx_naming.h and ../shared/specs/mlx-format.md §5.3–5.5.
#include "swan/model/mlx_naming.h"

#include <map>
#include <set>

#include "swan/core/bounded_decimal.h"
#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/io/model_directory.h"

namespace swan::model {

std::string module_path(std::string_view tensor_name) {
  const auto dot = tensor_name.rfind('.');
  return std::string(dot == std::string_view::npos ? tensor_name : tensor_name.substr(0, dot));
}

std::string_view parameter_name(std::string_view tensor_name) {
  const auto dot = tensor_name.rfind('.');
  return dot == std::string_view::npos ? tensor_name : tensor_name.substr(dot + 1);
}

bool is_norm_module(std::string_view module) {
  // The last path component names the module: input_layernorm, post_attention_layernorm,
  // norm, q_norm, k_norm, ln_f, ... A substring test on the whole path would also catch a
  // parent called "norm" of a Linear, which Llama-family trees do not have.
  const auto dot = module.rfind('.');
  const std::string_view leaf = dot == std::string_view::npos ? module : module.substr(dot + 1);
  return leaf.find("norm") != std::string_view::npos || leaf == "ln_f" || leaf.starts_with("ln_");
}

bool is_quantizable(std::string_view tensor_name, std::span<const std::int64_t> shape) {
  if (parameter_name(tensor_name) != "weight") return false;  // biases, norms' .bias, buffers
  const std::string module = module_path(tensor_name);
  if (is_norm_module(module)) return false;
  if (module.find("conv") != std::string::npos) return false;  // convolutions have no to_quantized
  if (shape.size() == 2) return true;                            // Linear [out, in], Embedding [vocab, hidden]
  // SwitchLinear: experts stacked as [E, out, in].
  return shape.size() == 3 && module.find(".switch_mlp.") != std::string::npos;
}

bool ties_word_embeddings(const nlohmann::ordered_json& config) {
  if (auto it = config.find("tie_word_embeddings"); it != config.end() && !it->is_null()) {
    if (!it->is_boolean())
      fail("config.json: tie_word_embeddings must be true or false, got {}", json_excerpt(*it));
    return it->get<bool>();
  }
  const std::string model_type = config.value("model_type", std::string{});
  // mlx_lm's ModelArgs defaults (models/<type>.py); Mistral maps to the llama implementation.
  if (model_type == "llama" || model_type == "mistral" || model_type == "qwen2") return true;
  if (model_type == "qwen2_moe") return false;
  fail(
      "config.json has no tie_word_embeddings and mlx_lm has no default for model_type '{}'; add "
      "\"tie_word_embeddings\": true or false to config.json",
      text_excerpt(model_type));
}

OutputHead decide_output_head(const nlohmann::ordered_json& config, bool checkpoint_has_lm_head,
                              std::string_view label) {
  OutputHead head;
  if (auto it = config.find("tie_word_embeddings"); it != config.end() && !it->is_null()) {
    if (!it->is_boolean()) fail("{}: tie_word_embeddings must be true or false, got {}", label, json_excerpt(*it));
    head.tied = it->get<bool>();
    if (!head.tied && !checkpoint_has_lm_head)
      fail("{}: tie_word_embeddings is false, but the checkpoint has no lm_head.weight to use as the output head; "
           "set \"tie_word_embeddings\": true if the embedding is the output head, or add the lm_head weights",
           label);
    return head;
  }
  head.tied = !checkpoint_has_lm_head;
  // The sparse families are untied by default in transformers and mlx_lm: a head is expected.
  const auto type = config.find("model_type");
  const bool untied_by_default = type != config.end() && type->is_string() &&
                                 (*type == "qwen2_moe" || *type == "qwen3_moe" || *type == "mixtral");
  if (checkpoint_has_lm_head && !untied_by_default)
    head.warning = fmt::format(
        "{} does not say tie_word_embeddings and the checkpoint has its own lm_head.weight: it is kept as the "
        "output head (untied); add \"tie_word_embeddings\": false or true to config.json to decide it yourself",
        label);
  return head;
}

OutputHead decide_output_head(const ModelDirectory& source) {
  return decide_output_head(source.config(), source.find("lm_head.weight") != nullptr,
                            (source.path() / "config.json").string());
}

bool is_dropped(std::string_view tensor_name, bool tied) {
  if (tensor_name.find("rotary_emb.inv_freq") != std::string_view::npos) return true;
  return tied && (tensor_name == "lm_head" || tensor_name.starts_with("lm_head."));
}

namespace {
// Mixtral's expert projections: w1 = gate, w3 = up, w2 = down (HF MixtralBlockSparseTop2MLP).
std::string mlx_lm_projection_name(std::string_view projection) {
  if (projection == "w1.weight") return "gate_proj.weight";
  if (projection == "w2.weight") return "down_proj.weight";
  if (projection == "w3.weight") return "up_proj.weight";
  return std::string(projection);
}
}  // namespace

std::optional<ExpertTensor> parse_expert_tensor(std::string_view name) {
  static constexpr std::string_view marker = ".experts.";
  const auto at = name.find(marker);
  if (at == std::string_view::npos || !name.ends_with(".weight")) return std::nullopt;
  std::string_view rest = name.substr(at + marker.size());  // "<E>.<proj>.weight"
  const auto dot = rest.find('.');
  if (dot == 0 || dot == std::string_view::npos) return std::nullopt;
  const std::string_view digits = rest.substr(0, dot);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  constexpr std::int64_t kMaxExpert = 1'000'000;  // real MoE models have at most a few hundred
  const auto parsed = parse_bounded_decimal(digits, kMaxExpert);
  if (!parsed)
    fail("tensor '{}': expert number {} is out of range (at most {}); the checkpoint's tensor names are damaged", name,
         digits.substr(0, 32), kMaxExpert);
  const int expert = static_cast<int>(*parsed);
  const std::string_view projection = rest.substr(dot + 1);  // "<proj>.weight"
  if (projection.find('.') != projection.rfind('.')) return std::nullopt;  // deeper nesting: not an expert Linear
  return ExpertTensor{std::string(name.substr(0, at)) + ".switch_mlp." + mlx_lm_projection_name(projection), expert};
}

std::optional<PredicateDecision> mlx_lm_predicate_decision(std::string_view model_type, std::string_view module) {
  if (model_type == "qwen3_moe" && module.ends_with("mlp.gate")) return PredicateDecision{8, 64};
  return std::nullopt;
}

std::vector<MlxParameter> mlx_parameters(std::span<const SourceTensor> sources, bool tied) {
  std::vector<MlxParameter> parameters;
  std::map<std::string, std::size_t> position;                      // parameter name -> index
  std::map<std::string, std::map<int, const SourceTensor*>> experts;  // stacked name -> expert -> tensor
  std::set<std::string> seen;
  for (const SourceTensor& tensor : sources) {
    if (!seen.insert(tensor.name).second) fail("tensor '{}' appears twice in the model's shards", tensor.name);
    if (is_dropped(tensor.name, tied)) continue;
    if (auto expert = parse_expert_tensor(tensor.name)) {
      if (tensor.shape.size() != 2)
        fail("expert tensor '{}' has {} dimensions; expected a 2-D Linear weight", tensor.name, tensor.shape.size());
      auto& slot = experts[expert->stacked_name];
      slot[expert->expert] = &tensor;
      if (!position.contains(expert->stacked_name)) {
        position[expert->stacked_name] = parameters.size();
        parameters.push_back({expert->stacked_name, {}, {}, true});
      }
      continue;
    }
    if (position.contains(tensor.name)) fail("tensor '{}' collides with a stacked expert tensor", tensor.name);
    position[tensor.name] = parameters.size();
    parameters.push_back({tensor.name, {tensor.name}, tensor.shape, is_quantizable(tensor.name, tensor.shape)});
  }
  for (auto& [stacked, by_expert] : experts) {
    MlxParameter& parameter = parameters[position.at(stacked)];
    const auto& first_shape = by_expert.begin()->second->shape;
    int expected = 0;
    for (const auto& [index, tensor] : by_expert) {
      if (index != expected)
        fail("MoE tensor '{}': expert {} is missing (found experts up to {}); every expert must be present",
             stacked, expected, by_expert.rbegin()->first);
      if (tensor->shape != first_shape)
        fail("MoE tensor '{}': expert {} has a different shape from expert 0", stacked, index);
      parameter.sources.push_back(tensor->name);
      ++expected;
    }
    parameter.shape = {static_cast<std::int64_t>(by_expert.size()), first_shape[0], first_shape[1]};
  }
  return parameters;
}

}  // namespace swan::model
