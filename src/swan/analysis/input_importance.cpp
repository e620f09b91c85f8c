// Data-free input-column importance from RMSNorm weights; see input_importance.h.
#include "swan/analysis/input_importance.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "swan/core/dtype.h"
#include "swan/model/tensor_role.h"

namespace swan::analysis {
namespace {

// The norm weight `name` if it is a float vector of `size` values, else empty.
std::vector<float> norm_weight(const ModelDirectory& model, const std::string& name, std::size_t size) {
  const ModelTensor* t = model.find(name);
  if (t == nullptr || !is_float_weight_dtype(t->info->dtype) || t->info->shape.size() != 1 ||
      t->info->shape[0] != static_cast<std::int64_t>(size))
    return {};
  return model.read_float(*t);
}

// "model.layers.3." of "model.layers.3.self_attn.q_proj.weight".
std::string layer_prefix(std::string_view name, int layer) {
  const std::string marker = "layers." + std::to_string(layer) + ".";
  return std::string(name.substr(0, name.find(marker) + marker.size()));
}

// The norm whose output the tensor reads, or empty when it reads none.
std::string input_norm(std::string_view tensor_name, bool tied) {
  using model::TensorRole;
  const TensorRole role = model::tensor_role(tensor_name);
  if (role == TensorRole::lm_head || (role == TensorRole::embedding && tied)) return "model.norm.weight";
  const auto layer = model::layer_index(tensor_name);
  if (!layer) return {};
  switch (role) {
    case TensorRole::attention_q:
    case TensorRole::attention_k:
    case TensorRole::attention_v:
      return layer_prefix(tensor_name, *layer) + "input_layernorm.weight";
    case TensorRole::mlp_gate:
    case TensorRole::mlp_up:
    case TensorRole::expert_gate:
    case TensorRole::expert_up:
    case TensorRole::router:
      return layer_prefix(tensor_name, *layer) + "post_attention_layernorm.weight";
    default:
      return {};
  }
}

}  // namespace

std::vector<float> importance_from_norm_weight(std::vector<float> gamma) {
  double sum = 0.0;
  for (float& g : gamma) {
    g = g * g;
    if (std::isfinite(g)) sum += g;
  }
  if (!(sum > 0.0) || !std::isfinite(sum)) return {};
  const double mean = sum / static_cast<double>(gamma.size());
  constexpr float kFloor = 1e-6f, kCeiling = 1048576.0f;  // the quantizer accepts (0, 2^20]
  for (float& v : gamma) v = std::isfinite(v) ? std::clamp(static_cast<float>(v / mean), kFloor, kCeiling) : kFloor;
  return gamma;
}

std::vector<float> input_column_importance(const ModelDirectory& model, std::string_view tensor_name,
                                           std::size_t cols, bool tied) {
  const std::string norm = input_norm(tensor_name, tied);
  if (norm.empty()) return {};
  std::vector<float> gamma = norm_weight(model, norm, cols);
  return gamma.empty() ? gamma : importance_from_norm_weight(std::move(gamma));
}

}  // namespace swan::analysis
