// The folding points of a dense decoder; see folds.h.
#include "swan/equalize/folds.h"

#include <algorithm>

#include "swan/core/error.h"

namespace swan::equalize {

std::string to_string(FoldPoint point) {
  switch (point) {
    case FoldPoint::attention_input: return "attention_input";
    case FoldPoint::mlp_input: return "mlp_input";
    case FoldPoint::mlp_down: return "mlp_down";
    case FoldPoint::attention_output: return "attention_output";
    case FoldPoint::output_head: return "output_head";
  }
  return "?";
}

std::size_t Fold::column_to_factor(std::size_t column) const {
  if (head_dim == 0) return column;
  const std::size_t head = column / head_dim;
  return (head / column_groups) * head_dim + column % head_dim;
}

std::vector<Fold> model_folds(const model::ModelConfig& config, bool tied, const std::vector<FoldPoint>& points,
                              const std::vector<std::string>& tensor_names) {
  if (config.is_moe())
    fail("--equalize supports dense models only (Llama, Mistral, Qwen2, Qwen3); {} is a mixture-of-experts model, "
         "whose routers, experts and shared experts would all have to share one factor: leave out --equalize",
         config.model_type);
  const auto wanted = [&](FoldPoint p) { return std::find(points.begin(), points.end(), p) != points.end(); };
  const auto exists = [&](const std::string& name) {
    return std::find(tensor_names.begin(), tensor_names.end(), name) != tensor_names.end();
  };
  const auto hidden = static_cast<std::size_t>(config.hidden_size);
  std::vector<Fold> folds;
  for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer) {
    const std::string prefix = "model.layers." + std::to_string(layer) + ".";
    const std::string attn = prefix + "self_attn.", mlp = prefix + "mlp.";
    if (wanted(FoldPoint::attention_input))
      folds.push_back({FoldPoint::attention_input, hidden,
                       {attn + "q_proj.weight", attn + "k_proj.weight", attn + "v_proj.weight"},
                       {prefix + "input_layernorm.weight"}});
    if (wanted(FoldPoint::attention_output)) {
      Fold fold{FoldPoint::attention_output, static_cast<std::size_t>(config.kv_dim()), {attn + "o_proj.weight"},
                {attn + "v_proj.weight"}};
      if (exists(attn + "v_proj.bias")) fold.divided.push_back(attn + "v_proj.bias");
      fold.column_groups = static_cast<std::size_t>(config.num_attention_heads / config.num_key_value_heads);
      fold.head_dim = static_cast<std::size_t>(config.head_dim);
      folds.push_back(std::move(fold));
    }
    if (wanted(FoldPoint::mlp_input))
      folds.push_back({FoldPoint::mlp_input, hidden, {mlp + "gate_proj.weight", mlp + "up_proj.weight"},
                       {prefix + "post_attention_layernorm.weight"}});
    if (wanted(FoldPoint::mlp_down)) {
      Fold fold{FoldPoint::mlp_down, static_cast<std::size_t>(config.intermediate_size), {mlp + "down_proj.weight"},
                {mlp + "up_proj.weight"}};
      if (exists(mlp + "up_proj.bias")) fold.divided.push_back(mlp + "up_proj.bias");
      folds.push_back(std::move(fold));
    }
  }
  if (wanted(FoldPoint::output_head) && !tied)
    folds.push_back({FoldPoint::output_head, hidden, {"lm_head.weight"}, {"model.norm.weight"}});
  return folds;
}

}  // namespace swan::equalize
