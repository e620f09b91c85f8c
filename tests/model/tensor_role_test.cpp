// Tensor roles on the names of the real fixture layouts (HF and mlx_lm).
#include "swan/model/tensor_role.h"

#include <gtest/gtest.h>

namespace swan::model {
namespace {

TEST(TensorRole, NamesOfDenseAndMoeLayouts) {
  const std::pair<const char*, TensorRole> cases[] = {
      {"model.embed_tokens.weight", TensorRole::Embedding},
      {"lm_head.weight", TensorRole::OutputHead},
      {"model.norm.weight", TensorRole::Norm},
      {"model.layers.0.self_attn.q_norm.weight", TensorRole::Norm},
      {"model.layers.0.post_attention_layernorm.weight", TensorRole::Norm},
      {"model.layers.0.self_attn.o_proj.weight", TensorRole::Attention},
      {"model.layers.0.self_attn.q_proj.bias", TensorRole::Attention},
      {"model.layers.1.mlp.down_proj.weight", TensorRole::DenseMlp},
      {"model.layers.0.mlp.gate_proj.weight", TensorRole::DenseMlp},  // gate_proj is not the router
      {"model.layers.0.mlp.gate.weight", TensorRole::Router},
      {"model.layers.0.block_sparse_moe.gate.weight", TensorRole::Router},
      {"model.layers.0.mlp.experts.7.up_proj.weight", TensorRole::Expert},
      {"model.layers.1.block_sparse_moe.experts.3.w2.weight", TensorRole::Expert},
      {"model.layers.0.mlp.switch_mlp.down_proj.weight", TensorRole::Expert},
      {"model.layers.0.block_sparse_moe.switch_mlp.gate_proj.scales", TensorRole::Expert},
      {"model.layers.0.mlp.shared_expert.up_proj.weight", TensorRole::SharedExpert},
      {"model.layers.0.mlp.shared_expert_gate.weight", TensorRole::SharedExpertGate},
  };
  for (const auto& [name, role] : cases) EXPECT_EQ(tensor_role(name), role) << name << " is " << role_name(tensor_role(name));
  EXPECT_FALSE(is_always_active(TensorRole::Expert));
  EXPECT_TRUE(is_always_active(TensorRole::SharedExpert));
  EXPECT_TRUE(is_always_active(TensorRole::Router));
}

}  // namespace
}  // namespace swan::model
