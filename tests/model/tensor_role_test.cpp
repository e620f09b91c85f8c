// Tensor roles on the names of the real fixture layouts (HF and mlx_lm), and layer indices
// from untrusted names.
#include "swan/model/tensor_role.h"

#include <gtest/gtest.h>

namespace swan::model {
namespace {

TEST(TensorRole, NamesOfDenseAndMoeLayouts) {
  const std::pair<const char*, TensorRole> cases[] = {
      {"model.embed_tokens.weight", TensorRole::embedding},
      {"lm_head.weight", TensorRole::lm_head},
      {"model.norm.weight", TensorRole::norm},
      {"model.layers.0.self_attn.q_norm.weight", TensorRole::norm},
      {"model.layers.0.post_attention_layernorm.weight", TensorRole::norm},
      {"model.layers.0.self_attn.o_proj.weight", TensorRole::attention_o},
      {"model.layers.0.self_attn.q_proj.bias", TensorRole::attention_q},
      {"model.layers.0.self_attn.v_proj.weight", TensorRole::attention_v},
      {"model.layers.1.mlp.down_proj.weight", TensorRole::mlp_down},
      {"model.layers.0.mlp.gate_proj.weight", TensorRole::mlp_gate},  // gate_proj is not the router
      {"model.layers.0.mlp.gate.weight", TensorRole::router},
      {"model.layers.0.block_sparse_moe.gate.weight", TensorRole::router},
      {"model.layers.0.mlp.experts.7.up_proj.weight", TensorRole::expert_up},
      {"model.layers.1.block_sparse_moe.experts.3.w2.weight", TensorRole::expert_down},
      {"model.layers.0.mlp.switch_mlp.down_proj.weight", TensorRole::expert_down},
      {"model.layers.0.block_sparse_moe.switch_mlp.gate_proj.scales", TensorRole::expert_gate},
      {"model.layers.0.mlp.shared_expert.up_proj.weight", TensorRole::mlp_up},  // always active
      {"model.layers.0.mlp.shared_expert_gate.weight", TensorRole::router},
  };
  for (const auto& [name, role] : cases)
    EXPECT_EQ(tensor_role(name), role) << name << " is " << role_name(tensor_role(name));
  EXPECT_TRUE(is_expert_role(TensorRole::expert_down));
  EXPECT_FALSE(is_expert_role(TensorRole::mlp_down));
}

TEST(TensorRole, LayerIndexIsBounded) {
  EXPECT_EQ(layer_index("model.layers.12.mlp.up_proj.weight"), 12);
  EXPECT_EQ(layer_index("model.embed_tokens.weight"), std::nullopt);
  EXPECT_EQ(layer_index("model.layers.99999999999999999999.mlp.weight"), std::nullopt);
  EXPECT_EQ(layer_index("model.layers.x.mlp.weight"), std::nullopt);
  EXPECT_EQ(layer_index("model.sublayers.3.weight"), std::nullopt);
}

}  // namespace
}  // namespace swan::model
