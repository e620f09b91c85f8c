// Data-free input-column importance (input_importance.h): the normalisation worked by hand,
// and on qwen3-tiny which tensors read which norm (read back independently from the file).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "swan/analysis/input_importance.h"
#include "swan/io/model_directory.h"

namespace swan::analysis {
namespace {

TEST(InputImportance, SquaredNormWeightsScaledToMeanOne) {
  // gamma^2 = {1, 4, 0, 9}, mean 3.5; the zero column keeps the floor 1e-6.
  const std::vector<float> w = importance_from_norm_weight({1.0f, -2.0f, 0.0f, 3.0f});
  ASSERT_EQ(w.size(), 4u);
  EXPECT_FLOAT_EQ(w[0], 1.0f / 3.5f);
  EXPECT_FLOAT_EQ(w[1], 4.0f / 3.5f);
  EXPECT_FLOAT_EQ(w[2], 1e-6f);
  EXPECT_FLOAT_EQ(w[3], 9.0f / 3.5f);
  EXPECT_TRUE(importance_from_norm_weight({0.0f, 0.0f}).empty());  // nothing to weigh by: uniform
}

TEST(InputImportance, EachTensorReadsItsNormOnQwen3Tiny) {
  const ModelDirectory model(test::shared_path("models/qwen3-tiny-5.8m"));
  auto expected = [&](const std::string& norm) {
    return importance_from_norm_weight(model.read_float(*model.find(norm)));
  };
  const std::string layer = "model.layers.2.";
  for (const char* p : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"})
    EXPECT_EQ(input_column_importance(model, layer + p + ".weight", 256, true),
              expected(layer + "input_layernorm.weight"))
        << p;
  for (const char* p : {"mlp.gate_proj", "mlp.up_proj"})
    EXPECT_EQ(input_column_importance(model, layer + p + ".weight", 256, true),
              expected(layer + "post_attention_layernorm.weight"))
        << p;
  EXPECT_EQ(input_column_importance(model, "model.embed_tokens.weight", 256, true), expected("model.norm.weight"));
  EXPECT_EQ(input_column_importance(model, "lm_head.weight", 256, false), expected("model.norm.weight"));
  // Read no norm: uniform.
  EXPECT_TRUE(input_column_importance(model, layer + "self_attn.o_proj.weight", 256, true).empty());
  EXPECT_TRUE(input_column_importance(model, layer + "mlp.down_proj.weight", 768, true).empty());
  EXPECT_TRUE(input_column_importance(model, "model.embed_tokens.weight", 256, false).empty());
  // A norm of the wrong length (a mismatched checkpoint) gives uniform, not garbage.
  EXPECT_TRUE(input_column_importance(model, layer + "self_attn.q_proj.weight", 512, true).empty());
  // The weights differ between columns (so they can change the result) and average 1.
  const auto q = input_column_importance(model, layer + "self_attn.q_proj.weight", 256, true);
  double sum = 0.0;
  for (const float v : q) sum += v;
  EXPECT_NEAR(sum / 256.0, 1.0, 1e-5);
  EXPECT_NE(q.front(), q.back());
}

}  // namespace
}  // namespace swan::analysis
