// Locating decoder weights in a GGUF file; see gguf_weights.h.
#include "swan/inference/gguf_weights.h"

#include <fmt/format.h>

#include "swan/core/error.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::inference {
namespace {

class GgufLocator {
 public:
  GgufLocator(const gguf::GgufFile& file, bool permuted) : file_(file), permuted_(permuted) {}

  const gguf::TensorRecord& tensor(const std::string& name) const {
    const gguf::TensorRecord* t = file_.find(name);
    if (t == nullptr)
      fail("{}: tensor \"{}\" is missing; the file does not match its own hyper-parameters", file_.path().string(), name);
    return *t;
  }

  // [rows, cols] logically = ggml ne (cols, rows). `heads` > 0 undoes llama's q/k permutation.
  WeightMatrix matrix(const std::string& name, std::size_t rows, std::size_t cols, std::size_t heads = 0) const {
    const auto& t = tensor(name);
    if (t.ne != std::vector<std::uint64_t>{cols, rows})
      fail("{}: tensor \"{}\" has ne [{}], the hyper-parameters imply [{}, {}]", file_.path().string(), name,
           fmt::join(t.ne, ", "), cols, rows);
    const std::size_t head_rows = permuted_ && heads > 0 ? rows / heads : 0;
    return WeightMatrix::ggml(name, t.type, file_.data(t), rows, cols, head_rows);
  }

  std::vector<float> vector(const std::string& name, std::size_t size, std::size_t heads = 0) const {
    const auto& t = tensor(name);
    if (t.ne != std::vector<std::uint64_t>{size})
      fail("{}: tensor \"{}\" has ne [{}], expected [{}]", file_.path().string(), name, fmt::join(t.ne, ", "), size);
    std::vector<float> stored(size);
    quant::dequantize_row_reference(t.type, file_.data(t), stored);
    if (!permuted_ || heads == 0) return stored;
    std::vector<float> values(size);
    const std::size_t head = size / heads, half = head / 2;
    for (std::size_t r = 0; r < size; ++r) {
      const std::size_t within = r % head;
      values[r] = stored[r - within + (within < half ? 2 * within : 2 * (within - half) + 1)];
    }
    return values;
  }

  // Expert e's [rows, cols] matrix of a stacked ne = [cols, rows, experts] tensor: its rows
  // are one contiguous run of the tensor's bytes.
  std::vector<WeightMatrix> experts(const std::string& name, std::size_t count, std::size_t rows, std::size_t cols) const {
    const auto& t = tensor(name);
    if (t.ne != std::vector<std::uint64_t>{cols, rows, count})
      fail("{}: tensor \"{}\" has ne [{}], the hyper-parameters imply [{}, {}, {}]", file_.path().string(), name,
           fmt::join(t.ne, ", "), cols, rows, count);
    const auto all = file_.data(t);
    const std::size_t each = all.size() / count;
    std::vector<WeightMatrix> out;
    for (std::size_t e = 0; e < count; ++e)
      out.push_back(WeightMatrix::ggml(fmt::format("{}[{}]", name, e), t.type, all.subspan(e * each, each), rows, cols, 0));
    return out;
  }

  bool has(const std::string& name) const { return file_.find(name) != nullptr; }

 private:
  const gguf::GgufFile& file_;
  bool permuted_;
};

}  // namespace

ModelWeights locate_gguf_weights(const gguf::GgufFile& file, const model::ModelConfig& config) {
  const GgufLocator locate(file, config.architecture == model::Architecture::Llama ||
                                     config.architecture == model::Architecture::Mistral ||
                                     config.architecture == model::Architecture::Mixtral);
  const auto hidden = static_cast<std::size_t>(config.hidden_size);
  const auto inter = static_cast<std::size_t>(config.intermediate_size);
  const auto q_dim = static_cast<std::size_t>(config.q_dim());
  const auto kv_dim = static_cast<std::size_t>(config.kv_dim());
  const auto head_dim = static_cast<std::size_t>(config.head_dim);
  const auto heads = static_cast<std::size_t>(config.num_attention_heads);
  const auto kv_heads = static_cast<std::size_t>(config.num_key_value_heads);
  const auto vocab = static_cast<std::size_t>(config.vocab_size);

  ModelWeights weights;
  weights.embed_tokens = locate.matrix("token_embd.weight", vocab, hidden);
  if (locate.has("output.weight")) weights.lm_head = locate.matrix("output.weight", vocab, hidden);
  weights.final_norm = locate.vector("output_norm.weight", hidden);
  weights.layers.resize(static_cast<std::size_t>(config.num_hidden_layers));
  for (std::size_t i = 0; i < weights.layers.size(); ++i) {
    DecoderLayerWeights& layer = weights.layers[i];
    const std::string p = fmt::format("blk.{}.", i);
    layer.input_norm = locate.vector(p + "attn_norm.weight", hidden);
    layer.post_attention_norm = locate.vector(p + "ffn_norm.weight", hidden);
    layer.q = locate.matrix(p + "attn_q.weight", q_dim, hidden, heads);
    layer.k = locate.matrix(p + "attn_k.weight", kv_dim, hidden, kv_heads);
    layer.v = locate.matrix(p + "attn_v.weight", kv_dim, hidden);
    layer.o = locate.matrix(p + "attn_output.weight", hidden, q_dim);
    if (config.is_moe_layer(static_cast<std::int64_t>(i))) {
      const auto count = static_cast<std::size_t>(config.moe.num_experts);
      const auto inner = static_cast<std::size_t>(config.moe.expert_intermediate_size);
      MoeLayerWeights moe;
      moe.router = locate.matrix(p + "ffn_gate_inp.weight", count, hidden);
      auto gate = locate.experts(p + "ffn_gate_exps.weight", count, inner, hidden);
      auto up = locate.experts(p + "ffn_up_exps.weight", count, inner, hidden);
      auto down = locate.experts(p + "ffn_down_exps.weight", count, hidden, inner);
      for (std::size_t e = 0; e < count; ++e)
        moe.experts.push_back({std::move(gate[e]), std::move(up[e]), std::move(down[e])});
      layer.moe = std::move(moe);
    } else {
      layer.gate = locate.matrix(p + "ffn_gate.weight", inter, hidden);
      layer.up = locate.matrix(p + "ffn_up.weight", inter, hidden);
      layer.down = locate.matrix(p + "ffn_down.weight", hidden, inter);
    }
    if (config.qk_norm) {
      layer.q_norm = locate.vector(p + "attn_q_norm.weight", head_dim);
      layer.k_norm = locate.vector(p + "attn_k_norm.weight", head_dim);
    }
    if (config.qkv_bias) {
      layer.q_bias = locate.vector(p + "attn_q.bias", q_dim, heads);
      layer.k_bias = locate.vector(p + "attn_k.bias", kv_dim, kv_heads);
      layer.v_bias = locate.vector(p + "attn_v.bias", kv_dim);
    }
    if (config.o_bias) layer.o_bias = locate.vector(p + "attn_output.bias", hidden);
    if (config.mlp_bias) {
      layer.gate_bias = locate.vector(p + "ffn_gate.bias", inter);
      layer.up_bias = locate.vector(p + "ffn_up.bias", inter);
      layer.down_bias = locate.vector(p + "ffn_down.bias", hidden);
    }
  }
  return weights;
}

std::vector<float> gguf_rope_factors(const gguf::GgufFile& file, std::size_t head_dim) {
  const gguf::TensorRecord* t = file.find("rope_freqs.weight");
  if (t == nullptr) return {};
  if (t->ne != std::vector<std::uint64_t>{head_dim / 2})
    fail("{}: rope_freqs.weight has {} entries, expected head_dim / 2 = {}", file.path().string(), t->elements(), head_dim / 2);
  std::vector<float> factors(head_dim / 2);
  quant::dequantize_row_reference(t->type, file.data(*t), factors);
  return factors;
}

}  // namespace swan::inference
