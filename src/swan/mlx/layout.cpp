// Layout of an MLX model directory: parameters, tensors, shards, index totals.
#include "swan/mlx/layout.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "swan/core/error.h"
#include "swan/mlx/config_check.h"
#include "swan/plan/builders.h"
#include "swan/quant/affine.h"

namespace swan::mlx {

namespace {

std::optional<DType> torch_float_dtype(const nlohmann::ordered_json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string name = value.get<std::string>();
  if (name == "float16" || name == "torch.float16") return DType::F16;
  if (name == "bfloat16" || name == "torch.bfloat16") return DType::BF16;
  if (name == "float32" || name == "torch.float32") return DType::F32;
  return std::nullopt;
}

std::vector<model::SourceTensor> source_tensors(const ModelDirectory& source) {
  std::vector<model::SourceTensor> out;
  out.reserve(source.tensors().size());
  for (const auto& t : source.tensors()) out.push_back({t.name(), t.info->shape});
  return out;
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

}  // namespace

std::int64_t OutputParameter::num_elements() const { return product(parameter.shape); }

std::optional<DType> conversion_dtype(const nlohmann::ordered_json& config, std::optional<DType> dtype_override) {
  if (dtype_override) return dtype_override;
  if (auto it = config.find("torch_dtype"); it != config.end())
    if (auto d = torch_float_dtype(*it)) return d;
  if (auto it = config.find("text_config"); it != config.end() && it->is_object())
    if (auto d = it->find("dtype"); d != it->end())
      if (auto parsed = torch_float_dtype(*d)) return parsed;
  return std::nullopt;
}

std::vector<plan::PlanTarget> quantizable_targets(const ModelDirectory& source) {
  const bool tied = model::decide_output_head(source).tied;
  const auto sources = source_tensors(source);
  std::vector<plan::PlanTarget> targets;
  for (auto& p : model::mlx_parameters(sources, tied)) {
    if (!p.quantizable) continue;
    const ModelTensor* first = source.find(p.sources.front());
    if (!is_float_weight_dtype(first->info->dtype)) continue;
    targets.push_back({p.name, p.shape, p.sources});
  }
  return targets;
}

plan::QuantPlan mlx_lm_uniform_plan(const ModelDirectory& source, int bits, int group_size,
                                     plan::GroupSizeFallback fallback) {
  const auto targets = quantizable_targets(source);
  plan::QuantPlan result = plan::uniform_plan(targets, bits, group_size, fallback);
  const std::string model_type = source.config().value("model_type", std::string{});
  for (const auto& target : targets)
    if (auto fixed = model::mlx_lm_predicate_decision(model_type, model::module_path(target.name)))
      result.set(target, plan::QuantDecision::quantized(fixed->bits, fixed->group_size),
                 fmt::format("mlx_lm {} quant_predicate", model_type));
  return result;
}

std::string shard_file_name(std::size_t index, std::size_t count) {
  if (count == 1) return "model.safetensors";
  return fmt::format("model-{:05d}-of-{:05d}.safetensors", index + 1, count);
}

MlxLayout build_layout(const ModelDirectory& source, const plan::QuantPlan& plan, std::optional<DType> dtype_override,
                       std::uint64_t max_shard_bytes) {
  const auto& config = source.config();
  if (config.contains("quantization"))
    fail("{}: config.json already has a \"quantization\" entry; the input looks like an MLX-quantized model. "
         "Convert from the original HuggingFace model instead",
         source.path().string());
  MlxLayout layout;
  layout.model_type = config.value("model_type", std::string{});
  layout.tied = model::decide_output_head(source).tied;
  layout.model_dtype = conversion_dtype(config, dtype_override);

  const auto sources = source_tensors(source);
  auto parameters = model::mlx_parameters(sources, layout.tied);
  check_config_against_parameters(source, parameters, layout.tied);
  std::set<std::string> planned;
  for (auto& p : parameters) {
    if (model::parameter_name(p.name) == "scales")
      fail("tensor '{}': the input already holds quantized weights; convert from the float model", p.name);
    OutputParameter out;
    out.source_dtype = source.find(p.sources.front())->info->dtype;
    for (const auto& name : p.sources)
      if (source.find(name)->info->dtype != out.source_dtype)
        fail("MoE tensor '{}': experts are stored in different dtypes", p.name);
    const bool is_float = is_float_weight_dtype(out.source_dtype);
    out.dtype = is_float && layout.model_dtype ? *layout.model_dtype : out.source_dtype;
    out.quantizable = p.quantizable && is_float;
    if (out.quantizable) {
      const plan::TensorPlan* entry = plan.find(p.name);
      if (entry == nullptr)
        fail("the quantization plan has no decision for tensor '{}'; was it made for another model?", p.name);
      if (entry->shape != p.shape)
        fail("the quantization plan records shape {} for tensor '{}', the model has {}", fmt::join(entry->shape, "x"),
             p.name, fmt::join(p.shape, "x"));
      out.decision = entry->decision;
      planned.insert(p.name);
    }
    out.parameter = std::move(p);
    layout.parameters.push_back(std::move(out));
  }
  for (const auto& entry : plan.tensors())
    if (!planned.contains(entry.name))
      fail("the quantization plan names tensor '{}', which is not a quantizable tensor of {}", entry.name,
           source.path().string());

  // Tensors, in parameter order.
  for (std::size_t i = 0; i < layout.parameters.size(); ++i) {
    const auto& p = layout.parameters[i];
    layout.total_parameters += static_cast<std::uint64_t>(p.num_elements());
    if (!p.decision.is_quantized()) {
      layout.tensors.push_back({{p.parameter.name, p.dtype, p.parameter.shape}, i,
                                is_float_weight_dtype(p.dtype) ? TensorRole::Float : TensorRole::Raw});
      continue;
    }
    const std::string module = p.module();
    auto packed_shape = p.parameter.shape;
    const auto cols = static_cast<std::size_t>(packed_shape.back());
    packed_shape.back() = static_cast<std::int64_t>(quant::packed_words_per_row(cols, p.decision.bits));
    auto group_shape = p.parameter.shape;
    group_shape.back() /= p.decision.group_size;
    layout.tensors.push_back({{module + ".weight", DType::U32, packed_shape}, i, TensorRole::Packed});
    layout.tensors.push_back({{module + ".scales", p.dtype, group_shape}, i, TensorRole::Scales});
    layout.tensors.push_back({{module + ".biases", p.dtype, group_shape}, i, TensorRole::Biases});
  }

  // Greedy sharding, as mlx_lm's make_shards: start a new shard when the next tensor would
  // push the running total above the limit.
  std::size_t shard = 0;
  std::uint64_t running = 0;
  for (auto& t : layout.tensors) {
    const std::uint64_t bytes = t.spec.nbytes();
    if (running > 0 && running + bytes > max_shard_bytes) {
      ++shard;
      running = 0;
    }
    running += bytes;
    t.shard = shard;
    layout.total_size += bytes;
  }
  const std::size_t count = layout.tensors.empty() ? 1 : shard + 1;
  for (std::size_t s = 0; s < count; ++s) layout.shard_files.push_back(shard_file_name(s, count));
  return layout;
}

}  // namespace swan::mlx
