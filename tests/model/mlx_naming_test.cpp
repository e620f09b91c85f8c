// mlx_lm naming conventions (spec mlx-format.md §5.3–5.5), on hand-written names and shapes.
#include "swan/model/mlx_naming.h"

#include <gtest/gtest.h>

#include "swan/core/error.h"

namespace swan::model {
namespace {

TEST(MlxNaming, ModulePathStripsTheParameter) {
  EXPECT_EQ(module_path("model.layers.3.mlp.down_proj.weight"), "model.layers.3.mlp.down_proj");
  EXPECT_EQ(module_path("lm_head.weight"), "lm_head");
  EXPECT_EQ(parameter_name("model.layers.0.self_attn.q_proj.bias"), "bias");
  EXPECT_EQ(parameter_name("model.embed_tokens.biases"), "biases");
}

TEST(MlxNaming, QuantizableModules) {
  const std::vector<std::int64_t> matrix{64, 128}, vector{64}, stacked{4, 64, 128};
  EXPECT_TRUE(is_quantizable("model.layers.0.self_attn.q_proj.weight", matrix));
  EXPECT_TRUE(is_quantizable("model.embed_tokens.weight", matrix));
  EXPECT_TRUE(is_quantizable("lm_head.weight", matrix));
  EXPECT_TRUE(is_quantizable("model.layers.0.mlp.switch_mlp.up_proj.weight", stacked));
  EXPECT_FALSE(is_quantizable("model.layers.0.self_attn.q_proj.bias", vector));
  EXPECT_FALSE(is_quantizable("model.layers.0.input_layernorm.weight", vector));
  EXPECT_FALSE(is_quantizable("model.norm.weight", vector));
  EXPECT_FALSE(is_quantizable("model.layers.0.self_attn.q_norm.weight", vector));
  // A 2-D norm weight is still a norm.
  EXPECT_FALSE(is_quantizable("model.layers.0.post_attention_layernorm.weight", matrix));
  EXPECT_FALSE(is_quantizable("model.layers.0.mlp.experts.weight", stacked));  // 3-D outside switch_mlp
}

TEST(MlxNaming, TiedEmbeddingsFollowMlxLmDefaults) {
  using J = nlohmann::ordered_json;
  EXPECT_TRUE(ties_word_embeddings(J{{"model_type", "llama"}}));
  EXPECT_TRUE(ties_word_embeddings(J{{"model_type", "qwen2"}}));
  EXPECT_TRUE(ties_word_embeddings(J{{"model_type", "mistral"}}));
  EXPECT_FALSE(ties_word_embeddings(J{{"model_type", "llama"}, {"tie_word_embeddings", false}}));
  EXPECT_TRUE(ties_word_embeddings(J{{"model_type", "qwen3"}, {"tie_word_embeddings", true}}));
  EXPECT_THROW(ties_word_embeddings(J{{"model_type", "qwen3"}}), Error);
  EXPECT_THROW(ties_word_embeddings(J{{"model_type", "qwen2"}, {"tie_word_embeddings", "yes"}}), Error);
}

TEST(MlxNaming, OutputHeadIsOneRuleOfConfigAndCheckpoint) {
  using J = nlohmann::ordered_json;
  // Stated: the config decides; a stray head of a tied model is dropped.
  EXPECT_TRUE(decide_output_head(J{{"model_type", "llama"}, {"tie_word_embeddings", true}}, true, "c").tied);
  EXPECT_TRUE(decide_output_head(J{{"model_type", "llama"}, {"tie_word_embeddings", true}}, false, "c").warning.empty());
  EXPECT_FALSE(decide_output_head(J{{"model_type", "llama"}, {"tie_word_embeddings", false}}, true, "c").tied);
  try {
    decide_output_head(J{{"model_type", "qwen3"}, {"tie_word_embeddings", false}}, false, "c");
    ADD_FAILURE() << "untied without an lm_head must be refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("lm_head.weight"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decide_output_head(J{{"model_type", "llama"}, {"tie_word_embeddings", 1}}, true, "c"), Error);
  // Not stated: the checkpoint decides. A distinct head is kept, with a warning where the
  // family's default would have tied (Llama in mlx_lm) or there is none (Qwen3).
  for (const char* type : {"llama", "qwen2", "qwen3", "mistral"}) {
    const auto kept = decide_output_head(J{{"model_type", type}}, true, "c");
    EXPECT_FALSE(kept.tied) << type;
    EXPECT_NE(kept.warning.find("lm_head.weight"), std::string::npos) << type;
    const auto none = decide_output_head(J{{"model_type", type}}, false, "c");
    EXPECT_TRUE(none.tied) << type;
    EXPECT_TRUE(none.warning.empty()) << type;
  }
  // The sparse families are untied by default: a head there is expected, no warning.
  const auto mixtral = decide_output_head(J{{"model_type", "mixtral"}}, true, "c");
  EXPECT_FALSE(mixtral.tied);
  EXPECT_TRUE(mixtral.warning.empty());
}

TEST(MlxNaming, DroppedTensors) {
  EXPECT_TRUE(is_dropped("model.layers.0.self_attn.rotary_emb.inv_freq", false));
  EXPECT_TRUE(is_dropped("lm_head.weight", true));
  EXPECT_FALSE(is_dropped("lm_head.weight", false));
  EXPECT_FALSE(is_dropped("model.lm_head_norm.weight", true));
}

TEST(MlxNaming, ExpertTensorsStackIntoSwitchMlp) {
  auto e = parse_expert_tensor("model.layers.2.mlp.experts.17.down_proj.weight");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->stacked_name, "model.layers.2.mlp.switch_mlp.down_proj.weight");
  EXPECT_EQ(e->expert, 17);
  EXPECT_FALSE(parse_expert_tensor("model.layers.2.mlp.down_proj.weight").has_value());
  EXPECT_FALSE(parse_expert_tensor("model.layers.2.mlp.experts.x.down_proj.weight").has_value());
  EXPECT_FALSE(parse_expert_tensor("model.layers.2.mlp.experts.1.down_proj.bias").has_value());
}

// Untrusted names: an expert number beyond any int used to overflow while being parsed.
TEST(MlxNaming, ExpertNumbersOutOfRangeAreErrors) {
  EXPECT_EQ(parse_expert_tensor("model.layers.0.mlp.experts.1000000.up_proj.weight")->expert, 1000000);
  for (const char* name : {"model.layers.0.mlp.experts.1000001.up_proj.weight",
                           "model.layers.0.mlp.experts.2147483648.up_proj.weight",
                           "model.layers.0.mlp.experts.99999999999999999999999.up_proj.weight"}) {
    EXPECT_THROW(parse_expert_tensor(name), Error) << name;
  }
}

TEST(MlxNaming, MixtralExpertsTakeMlxLmProjectionNames) {
  // HF MixtralBlockSparseTop2MLP: w1 = gate, w3 = up, w2 = down; mlx_lm's sanitize renames them.
  const std::pair<const char*, const char*> cases[] = {{"w1", "gate_proj"}, {"w2", "down_proj"}, {"w3", "up_proj"}};
  for (const auto& [hf, mlx] : cases) {
    auto e = parse_expert_tensor(std::string("model.layers.1.block_sparse_moe.experts.3.") + hf + ".weight");
    ASSERT_TRUE(e.has_value()) << hf;
    EXPECT_EQ(e->stacked_name, std::string("model.layers.1.block_sparse_moe.switch_mlp.") + mlx + ".weight");
    EXPECT_EQ(e->expert, 3);
  }
}

TEST(MlxNaming, Qwen3MoePredicateKeepsRoutersAt8Bits) {
  const auto router = mlx_lm_predicate_decision("qwen3_moe", "model.layers.0.mlp.gate");
  ASSERT_TRUE(router.has_value());
  EXPECT_EQ(router->bits, 8);
  EXPECT_EQ(router->group_size, 64);
  EXPECT_FALSE(mlx_lm_predicate_decision("qwen3_moe", "model.layers.0.mlp.gate_proj").has_value());
  EXPECT_FALSE(mlx_lm_predicate_decision("qwen3_moe", "model.layers.0.mlp.switch_mlp.gate_proj").has_value());
  EXPECT_FALSE(mlx_lm_predicate_decision("mixtral", "model.layers.0.block_sparse_moe.gate").has_value());
  EXPECT_FALSE(mlx_lm_predicate_decision("qwen2_moe", "model.layers.0.mlp.gate").has_value());
}

TEST(MlxNaming, ParametersDropStackAndKeepOrder) {
  const std::vector<SourceTensor> sources = {
      {"model.embed_tokens.weight", {256, 64}},
      {"model.layers.0.mlp.experts.1.up_proj.weight", {32, 64}},  // out of order on purpose
      {"model.layers.0.mlp.experts.0.up_proj.weight", {32, 64}},
      {"model.layers.0.mlp.gate.weight", {2, 64}},
      {"model.layers.0.self_attn.rotary_emb.inv_freq", {16}},
      {"model.norm.weight", {64}},
      {"lm_head.weight", {256, 64}},
  };
  const auto tied = mlx_parameters(sources, true);
  ASSERT_EQ(tied.size(), 4u);
  EXPECT_EQ(tied[0].name, "model.embed_tokens.weight");
  EXPECT_TRUE(tied[0].quantizable);
  EXPECT_EQ(tied[1].name, "model.layers.0.mlp.switch_mlp.up_proj.weight");
  EXPECT_EQ(tied[1].shape, (std::vector<std::int64_t>{2, 32, 64}));
  EXPECT_EQ(tied[1].sources, (std::vector<std::string>{"model.layers.0.mlp.experts.0.up_proj.weight",
                                                         "model.layers.0.mlp.experts.1.up_proj.weight"}));
  EXPECT_TRUE(tied[1].quantizable);
  EXPECT_EQ(tied[2].name, "model.layers.0.mlp.gate.weight");  // the router: a Linear
  EXPECT_EQ(tied[3].name, "model.norm.weight");
  EXPECT_FALSE(tied[3].quantizable);
  const auto untied = mlx_parameters(sources, false);
  ASSERT_EQ(untied.size(), 5u);
  EXPECT_EQ(untied.back().name, "lm_head.weight");
}

TEST(MlxNaming, IncompleteExpertSetsAreRejected) {
  const std::vector<SourceTensor> missing = {{"m.experts.0.up_proj.weight", {4, 8}}, {"m.experts.2.up_proj.weight", {4, 8}}};
  EXPECT_THROW(mlx_parameters(missing, false), Error);
  const std::vector<SourceTensor> shapes = {{"m.experts.0.up_proj.weight", {4, 8}}, {"m.experts.1.up_proj.weight", {4, 16}}};
  EXPECT_THROW(mlx_parameters(shapes, false), Error);
}

}  // namespace
}  // namespace swan::model
