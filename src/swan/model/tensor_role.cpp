// Tensor roles from names; see tensor_role.h.
#include "swan/model/tensor_role.h"

#include "swan/model/mlx_naming.h"

namespace swan::model {
namespace {
bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }
}  // namespace

std::string_view role_name(TensorRole role) {
  switch (role) {
    case TensorRole::Embedding: return "embedding";
    case TensorRole::OutputHead: return "output_head";
    case TensorRole::Norm: return "norm";
    case TensorRole::Attention: return "attention";
    case TensorRole::DenseMlp: return "dense_mlp";
    case TensorRole::Router: return "router";
    case TensorRole::Expert: return "expert";
    case TensorRole::SharedExpert: return "shared_expert";
    case TensorRole::SharedExpertGate: return "shared_expert_gate";
    case TensorRole::Other: return "other";
  }
  return "other";
}

TensorRole tensor_role(std::string_view name) {
  const std::string module = module_path(name);
  const std::string_view leaf = parameter_name(module);
  if (is_norm_module(module)) return TensorRole::Norm;
  if (contains(module, "embed_tokens")) return TensorRole::Embedding;
  if (module == "lm_head") return TensorRole::OutputHead;
  if (contains(module, ".self_attn.")) return TensorRole::Attention;
  if (contains(module, ".shared_expert_gate")) return TensorRole::SharedExpertGate;
  if (contains(module, ".shared_expert.")) return TensorRole::SharedExpert;
  if (contains(module, ".experts.") || contains(module, ".switch_mlp.")) return TensorRole::Expert;
  if (leaf == "gate" || leaf == "router") return TensorRole::Router;
  if (contains(module, ".mlp.")) return TensorRole::DenseMlp;
  return TensorRole::Other;
}

}  // namespace swan::model
