// Config semantics against the tensors to be written; see config_check.h.
#include "swan/mlx/config_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/model/architecture.h"
#include "swan/model/mlx_lm_parameters.h"

namespace swan::mlx {

void check_config_against_parameters(const ModelDirectory& source, std::span<const model::MlxParameter> parameters,
                                     bool tied) {
  const auto& config = source.config();
  const auto type = config.find("model_type");
  if (type == config.end() || !type->is_string() || !model::known_architecture(type->get_ref<const std::string&>()))
    return;
  const std::string label = (source.path() / "config.json").string();
  model::ModelConfig model_config;
  try {
    model_config = model::parse_model_config(config, label);
  } catch (const Error& e) {
    fail("{}; mlx_lm could not build the model from it, so no output is written", e.what());
  }
  std::map<std::string, const model::MlxParameter*> present;
  for (const auto& p : parameters) present.emplace(p.name, &p);
  const std::string last_layer = model::last_layer_prefix(model_config);
  if (const auto it = present.lower_bound(last_layer); it == present.end() || !it->first.starts_with(last_layer))
    fail("{}: config.json says num_hidden_layers {}, but the checkpoint has no \"{}*\" tensors; fix "
         "num_hidden_layers",
         source.path().string(), model_config.num_hidden_layers, last_layer);
  std::map<std::string, std::vector<std::int64_t>> expected;
  for (auto& p : model::mlx_lm_parameters(model_config, tied)) expected.emplace(std::move(p.name), std::move(p.shape));
  const auto dims = fmt::format("hidden_size {}, num_attention_heads {}, num_key_value_heads {}, head_dim {}, "
                                "vocab_size {}, num_hidden_layers {}",
                                model_config.hidden_size, model_config.num_attention_heads,
                                model_config.num_key_value_heads, model_config.head_dim, model_config.vocab_size,
                                model_config.num_hidden_layers);
  for (const auto& [name, p] : present) {
    const auto it = expected.find(name);
    if (it == expected.end())
      fail("{}: tensor {} is not a parameter of the {} model config.json describes ({}); mlx_lm would refuse the "
           "output (\"parameters not in model\"). Fix config.json or remove the tensor",
           source.path().string(), text_excerpt(name), model::architecture_name(model_config.architecture), dims);
    if (it->second != p->shape)
      fail("{}: tensor {} has shape [{}], but config.json ({}) gives [{}]; mlx_lm would refuse the output. Fix "
           "config.json",
           source.path().string(), text_excerpt(name), fmt::join(p->shape, ", "), dims, fmt::join(it->second, ", "));
  }
  for (const auto& [name, shape] : expected)
    if (!present.contains(name))
      fail("{}: config.json ({}) implies tensor {} [{}], which the checkpoint does not have; mlx_lm would refuse the "
           "output (\"missing parameters\"). Fix config.json",
           source.path().string(), dims, name, fmt::join(shape, ", "));
}

}  // namespace swan::mlx
