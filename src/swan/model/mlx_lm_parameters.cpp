// mlx_lm's parameter names and shapes per architecture; see mlx_lm_parameters.h.
#include "swan/model/mlx_lm_parameters.h"

#include <fmt/format.h>

namespace swan::model {
namespace {

using Shape = std::vector<std::int64_t>;

class ParameterList {
 public:
  void add(std::string name, Shape shape) { list_.push_back({std::move(name), std::move(shape)}); }
  // A Linear "<module>.weight" [out, in] and, when `bias`, "<module>.bias" [out].
  void linear(const std::string& module, std::int64_t out, std::int64_t in, bool bias) {
    add(module + ".weight", {out, in});
    if (bias) add(module + ".bias", {out});
  }
  void swiglu(const std::string& prefix, std::int64_t hidden, std::int64_t inner, bool bias) {
    linear(prefix + ".gate_proj", inner, hidden, bias);
    linear(prefix + ".down_proj", hidden, inner, bias);
    linear(prefix + ".up_proj", inner, hidden, bias);
  }
  std::vector<ExpectedParameter> take() { return std::move(list_); }

 private:
  std::vector<ExpectedParameter> list_;
};

}  // namespace

std::vector<ExpectedParameter> mlx_lm_parameters(const ModelConfig& c, bool tied) {
  ParameterList list;
  const std::int64_t hidden = c.hidden_size;
  list.add("model.embed_tokens.weight", {c.vocab_size, hidden});
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string layer = fmt::format("model.layers.{}", i);
    list.add(layer + ".input_layernorm.weight", {hidden});
    list.add(layer + ".post_attention_layernorm.weight", {hidden});
    const std::string attention = layer + ".self_attn";
    list.linear(attention + ".q_proj", c.q_dim(), hidden, c.qkv_bias);
    list.linear(attention + ".k_proj", c.kv_dim(), hidden, c.qkv_bias);
    list.linear(attention + ".v_proj", c.kv_dim(), hidden, c.qkv_bias);
    list.linear(attention + ".o_proj", hidden, c.q_dim(), c.o_bias);
    if (c.qk_norm) {
      list.add(attention + ".q_norm.weight", {c.head_dim});
      list.add(attention + ".k_norm.weight", {c.head_dim});
    }
    // mlx_lm's qwen2_moe makes every layer sparse (it reads neither decoder_sparse_step nor
    // mlp_only_layers); its qwen3_moe honours both, mixtral has no dense layers.
    const bool sparse = c.architecture == Architecture::Qwen2Moe || c.is_moe_layer(i);
    if (!sparse) {
      list.swiglu(layer + ".mlp", hidden, c.intermediate_size, c.mlp_bias);
      continue;
    }
    const std::string block = layer + "." + c.moe.block;
    const std::int64_t experts = c.moe.num_experts, inner = c.moe.expert_intermediate_size;
    list.add(block + ".gate.weight", {experts, hidden});
    list.add(block + ".switch_mlp.gate_proj.weight", {experts, inner, hidden});
    list.add(block + ".switch_mlp.down_proj.weight", {experts, hidden, inner});
    list.add(block + ".switch_mlp.up_proj.weight", {experts, inner, hidden});
    if (c.moe.shared_expert_intermediate_size > 0) {
      list.swiglu(block + ".shared_expert", hidden, c.moe.shared_expert_intermediate_size, false);
      list.add(block + ".shared_expert_gate.weight", {1, hidden});
    }
  }
  list.add("model.norm.weight", {hidden});
  if (!tied) list.add("lm_head.weight", {c.vocab_size, hidden});
  return list.take();
}

}  // namespace swan::model
