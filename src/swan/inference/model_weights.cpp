// Locating and validating decoder weights in HF and mlx_lm directories.
#include "swan/inference/model_weights.h"

#include <fmt/format.h>

#include <algorithm>

#include "swan/core/error.h"
#include "swan/model/mlx_naming.h"

namespace swan::inference {
namespace {

std::string shape_string(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

class Locator {
 public:
  Locator(const ModelDirectory& directory, const model::MlxQuantizationConfig& quantization)
      : directory_(directory), quantization_(quantization) {}

  bool has(const std::string& name) const { return directory_.find(name) != nullptr; }

  const ModelTensor& tensor(const std::string& name) const {
    const ModelTensor* found = directory_.find(name);
    if (found == nullptr)
      fail("{}: tensor \"{}\" is missing; the checkpoint does not match its config.json", directory_.path().string(),
           name);
    return *found;
  }

  std::span<const std::byte> bytes(const ModelTensor& t) const { return directory_.file(t).data(*t.info); }

  // The matrix of module `path` ([rows, cols] logically), float or quantized.
  WeightMatrix matrix(const std::string& path, std::size_t rows, std::size_t cols) const {
    const std::string weight_name = path + ".weight";
    const ModelTensor& weight = tensor(weight_name);
    const auto format = quantization_.format_for(path, has(path + ".scales"));
    const auto& shape = weight.info->shape;
    if (!format) {
      if (shape != std::vector<std::int64_t>{static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)})
        fail("tensor \"{}\" has shape {}, config.json implies [{}, {}]", weight_name, shape_string(shape), rows, cols);
      return WeightMatrix::dense(weight_name, weight.info->dtype, bytes(weight), rows, cols);
    }
    const ModelTensor& scales = tensor(path + ".scales");
    const ModelTensor& biases = tensor(path + ".biases");
    if (weight.info->dtype != DType::U32)
      fail("quantized tensor \"{}\" has dtype {}, expected U32 packed codes", weight_name,
           dtype_name(weight.info->dtype));
    if (cols % static_cast<std::size_t>(format->group_size) != 0)
      fail("module \"{}\": {} input columns are not a multiple of group_size {}", path, cols, format->group_size);
    const auto r = static_cast<std::int64_t>(rows);
    const std::vector<std::int64_t> packed_shape{r, static_cast<std::int64_t>(quant::packed_words_per_row(cols, format->bits))};
    const std::vector<std::int64_t> group_shape{r, static_cast<std::int64_t>(cols / format->group_size)};
    if (shape != packed_shape)
      fail("quantized tensor \"{}\" has shape {}; {} bits over [{}, {}] needs {} (check the bits in config.json's "
           "quantization entry)",
           weight_name, shape_string(shape), format->bits, rows, cols, shape_string(packed_shape));
    if (scales.info->shape != group_shape || biases.info->shape != group_shape)
      fail("\"{0}.scales\" / \"{0}.biases\" have shapes {1} / {2}; group_size {3} over [{4}, {5}] needs {6}", path,
           shape_string(scales.info->shape), shape_string(biases.info->shape), format->group_size, rows, cols,
           shape_string(group_shape));
    if (scales.info->dtype != biases.info->dtype)
      fail("\"{0}.scales\" is {1} but \"{0}.biases\" is {2}", path, dtype_name(scales.info->dtype),
           dtype_name(biases.info->dtype));
    return WeightMatrix::affine(weight_name, bytes(weight), scales.info->dtype, bytes(scales), bytes(biases), rows,
                                cols, *format);
  }

  // Expert e's [rows, cols] matrix: a slice of mlx_lm's stacked "<stacked>.weight" [E, rows, ...]
  // when the directory has it, else HF's per-expert "<per_expert(e)>.weight".
  template <typename PerExpertPath>
  std::vector<WeightMatrix> experts(const std::string& stacked, PerExpertPath per_expert, std::size_t count,
                                    std::size_t rows, std::size_t cols) const {
    std::vector<WeightMatrix> out;
    if (!has(stacked + ".weight")) {
      for (std::size_t e = 0; e < count; ++e) out.push_back(matrix(per_expert(e), rows, cols));
      return out;
    }
    const std::string weight_name = stacked + ".weight";
    const ModelTensor& weight = tensor(weight_name);
    const auto format = quantization_.format_for(stacked, has(stacked + ".scales"));
    const auto e = static_cast<std::int64_t>(count), r = static_cast<std::int64_t>(rows);
    if (!format) {
      if (weight.info->shape != std::vector<std::int64_t>{e, r, static_cast<std::int64_t>(cols)})
        fail("tensor \"{}\" has shape {}, config.json implies [{}, {}, {}]", weight_name,
             shape_string(weight.info->shape), count, rows, cols);
      const auto all = bytes(weight);
      const std::size_t each = all.size() / count;
      for (std::size_t i = 0; i < count; ++i)
        out.push_back(WeightMatrix::dense(fmt::format("{}[{}]", weight_name, i), weight.info->dtype,
                                          all.subspan(i * each, each), rows, cols));
      return out;
    }
    const ModelTensor& scales = tensor(stacked + ".scales");
    const ModelTensor& biases = tensor(stacked + ".biases");
    if (weight.info->dtype != DType::U32)
      fail("quantized tensor \"{}\" has dtype {}, expected U32 packed codes", weight_name, dtype_name(weight.info->dtype));
    if (cols % static_cast<std::size_t>(format->group_size) != 0)
      fail("module \"{}\": {} input columns are not a multiple of group_size {}", stacked, cols, format->group_size);
    const std::vector<std::int64_t> packed_shape{e, r, static_cast<std::int64_t>(quant::packed_words_per_row(cols, format->bits))};
    const std::vector<std::int64_t> group_shape{e, r, static_cast<std::int64_t>(cols / format->group_size)};
    if (weight.info->shape != packed_shape)
      fail("quantized tensor \"{}\" has shape {}; {} bits over [{}, {}, {}] needs {} (check the bits in config.json's "
           "quantization entry)",
           weight_name, shape_string(weight.info->shape), format->bits, count, rows, cols, shape_string(packed_shape));
    if (scales.info->shape != group_shape || biases.info->shape != group_shape || scales.info->dtype != biases.info->dtype)
      fail("\"{0}.scales\" / \"{0}.biases\" are {1} {2} / {3} {4}; group_size {5} needs {6} for both, one dtype", stacked,
           dtype_name(scales.info->dtype), shape_string(scales.info->shape), dtype_name(biases.info->dtype),
           shape_string(biases.info->shape), format->group_size, shape_string(group_shape));
    const auto packed = bytes(weight), scale_bytes = bytes(scales), bias_bytes = bytes(biases);
    const std::size_t packed_each = packed.size() / count, group_each = scale_bytes.size() / count;
    for (std::size_t i = 0; i < count; ++i)
      out.push_back(WeightMatrix::affine(fmt::format("{}[{}]", weight_name, i), packed.subspan(i * packed_each, packed_each),
                                         scales.info->dtype, scale_bytes.subspan(i * group_each, group_each),
                                         bias_bytes.subspan(i * group_each, group_each), rows, cols, *format));
    return out;
  }

  std::vector<float> vector(const std::string& name, std::size_t size) const {
    const ModelTensor& t = tensor(name);
    if (t.info->shape != std::vector<std::int64_t>{static_cast<std::int64_t>(size)})
      fail("tensor \"{}\" has shape {}, expected [{}]", name, shape_string(t.info->shape), size);
    if (!is_float_weight_dtype(t.info->dtype))
      fail("tensor \"{}\" has dtype {}, expected F32, F16 or BF16", name, dtype_name(t.info->dtype));
    return directory_.read_float(t);
  }

 private:
  const ModelDirectory& directory_;
  const model::MlxQuantizationConfig& quantization_;
};

// Mixtral's per-expert projections are w1 (gate), w3 (up), w2 (down); the Qwen MoEs use the
// dense names. mlx_lm's stacked tensors always use the dense names.
std::string hf_expert_projection(const model::ModelConfig& config, const std::string& projection) {
  if (config.architecture != model::Architecture::Mixtral) return projection;
  return projection == "gate_proj" ? "w1" : projection == "up_proj" ? "w3" : "w2";
}

MoeLayerWeights locate_moe(const Locator& locate, const model::ModelConfig& config, const std::string& block) {
  const auto hidden = static_cast<std::size_t>(config.hidden_size);
  const auto count = static_cast<std::size_t>(config.moe.num_experts);
  const auto inner = static_cast<std::size_t>(config.moe.expert_intermediate_size);
  MoeLayerWeights moe;
  moe.router = locate.matrix(block + ".gate", count, hidden);
  auto stacked = [&](const std::string& projection, std::size_t rows, std::size_t cols) {
    const std::string hf = hf_expert_projection(config, projection);
    return locate.experts(
        block + ".switch_mlp." + projection, [&](std::size_t e) { return fmt::format("{}.experts.{}.{}", block, e, hf); },
        count, rows, cols);
  };
  auto gate = stacked("gate_proj", inner, hidden), up = stacked("up_proj", inner, hidden),
       down = stacked("down_proj", hidden, inner);
  for (std::size_t e = 0; e < count; ++e)
    moe.experts.push_back({std::move(gate[e]), std::move(up[e]), std::move(down[e])});
  if (const auto shared = static_cast<std::size_t>(config.moe.shared_expert_intermediate_size); shared > 0) {
    moe.shared_expert = ExpertWeights{locate.matrix(block + ".shared_expert.gate_proj", shared, hidden),
                                      locate.matrix(block + ".shared_expert.up_proj", shared, hidden),
                                      locate.matrix(block + ".shared_expert.down_proj", hidden, shared)};
    moe.shared_expert_gate = locate.matrix(block + ".shared_expert_gate", 1, hidden);
  }
  return moe;
}

}  // namespace

bool ModelWeights::any_quantized() const {
  if (embed_tokens.is_quantized() || (lm_head && lm_head->is_quantized())) return true;
  for (const auto& layer : layers) {
    for (const WeightMatrix* m : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      if (m->is_quantized()) return true;
    if (layer.moe && layer.moe->any_quantized()) return true;
  }
  return false;
}

std::size_t ModelWeights::stored_bytes() const {
  std::size_t total = embed_tokens.stored_bytes() + (lm_head ? lm_head->stored_bytes() : 0);
  for (const auto& layer : layers) {
    for (const WeightMatrix* m : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      total += m->stored_bytes();
    if (layer.moe) total += layer.moe->stored_bytes();
  }
  return total;
}

ModelWeights locate_model_weights(const ModelDirectory& directory, const model::ModelConfig& config,
                                  const model::MlxQuantizationConfig& quantization) {
  const Locator locate(directory, quantization);
  const auto hidden = static_cast<std::size_t>(config.hidden_size);
  const auto inter = static_cast<std::size_t>(config.intermediate_size);
  const auto q_dim = static_cast<std::size_t>(config.q_dim());
  const auto kv_dim = static_cast<std::size_t>(config.kv_dim());
  const auto head_dim = static_cast<std::size_t>(config.head_dim);

  ModelWeights weights;
  weights.embed_tokens = locate.matrix("model.embed_tokens", static_cast<std::size_t>(config.vocab_size), hidden);
  // The rule convert and the GGUF writer follow too (model::decide_output_head).
  if (!model::decide_output_head(directory).tied) weights.lm_head = locate.matrix("lm_head", static_cast<std::size_t>(config.vocab_size), hidden);
  weights.final_norm = locate.vector("model.norm.weight", hidden);

  // num_hidden_layers comes from an untrusted file: the checkpoint must hold its last layer
  // before anything is sized by it.
  const std::string last_layer = model::last_layer_prefix(config);
  if (std::none_of(directory.tensors().begin(), directory.tensors().end(),
                   [&](const ModelTensor& t) { return t.name().starts_with(last_layer); }))
    fail("{}: config.json says num_hidden_layers {}, but the checkpoint has no \"{}*\" tensors; fix "
         "num_hidden_layers",
         directory.path().string(), config.num_hidden_layers, last_layer);
  weights.layers.resize(static_cast<std::size_t>(config.num_hidden_layers));
  for (std::size_t i = 0; i < weights.layers.size(); ++i) {
    DecoderLayerWeights& layer = weights.layers[i];
    const std::string prefix = fmt::format("model.layers.{}.", i);
    layer.input_norm = locate.vector(prefix + "input_layernorm.weight", hidden);
    layer.post_attention_norm = locate.vector(prefix + "post_attention_layernorm.weight", hidden);
    layer.q = locate.matrix(prefix + "self_attn.q_proj", q_dim, hidden);
    layer.k = locate.matrix(prefix + "self_attn.k_proj", kv_dim, hidden);
    layer.v = locate.matrix(prefix + "self_attn.v_proj", kv_dim, hidden);
    layer.o = locate.matrix(prefix + "self_attn.o_proj", hidden, q_dim);
    if (config.is_moe_layer(static_cast<std::int64_t>(i))) {
      layer.moe = locate_moe(locate, config, prefix + config.moe.block);
    } else {
      layer.gate = locate.matrix(prefix + "mlp.gate_proj", inter, hidden);
      layer.up = locate.matrix(prefix + "mlp.up_proj", inter, hidden);
      layer.down = locate.matrix(prefix + "mlp.down_proj", hidden, inter);
    }
    if (config.qk_norm) {
      layer.q_norm = locate.vector(prefix + "self_attn.q_norm.weight", head_dim);
      layer.k_norm = locate.vector(prefix + "self_attn.k_norm.weight", head_dim);
    }
    if (config.qkv_bias) {
      layer.q_bias = locate.vector(prefix + "self_attn.q_proj.bias", q_dim);
      layer.k_bias = locate.vector(prefix + "self_attn.k_proj.bias", kv_dim);
      layer.v_bias = locate.vector(prefix + "self_attn.v_proj.bias", kv_dim);
    }
    if (config.o_bias) layer.o_bias = locate.vector(prefix + "self_attn.o_proj.bias", hidden);
    if (config.mlp_bias) {
      layer.gate_bias = locate.vector(prefix + "mlp.gate_proj.bias", inter);
      layer.up_bias = locate.vector(prefix + "mlp.up_proj.bias", inter);
      layer.down_bias = locate.vector(prefix + "mlp.down_proj.bias", hidden);
    }
  }
  return weights;
}

}  // namespace swan::inference
