// Qwen2-MoE has no real-model golden here, so it is checked against a dense Qwen2 model it
// must equal by construction: every routed expert and the shared expert are copies of one
// SwiGLU MLP M, the shared expert's gate is zero (sigmoid = 1/2) and norm_topk_prob is true,
// so each MoE block computes M(x) + M(x)/2 — what a dense Qwen2 with M's down_proj scaled by
// 1.5 computes. Exercises the HF per-expert names, shared_expert(_gate) and the qkv biases.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "support/fixtures.h"
#include "swan/inference/model.h"
#include "swan/io/safetensors_writer.h"

namespace swan::inference {
namespace {

constexpr int kHidden = 32, kInner = 48, kExperts = 4, kLayers = 2, kVocab = 64, kHeads = 4, kKvHeads = 2;

using Tensors = std::vector<std::pair<std::string, std::pair<std::vector<std::int64_t>, std::vector<float>>>>;

void write_model(const std::filesystem::path& dir, const nlohmann::ordered_json& config, const Tensors& tensors) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << config.dump(2);
  std::vector<TensorSpec> specs;
  for (const auto& [name, value] : tensors) specs.push_back({name, DType::F32, value.first});
  SafetensorsWriter writer(dir / "model.safetensors", specs, {{"format", "pt"}});
  for (const auto& [name, value] : tensors) writer.write(name, std::as_bytes(std::span(value.second)));
  writer.finish();
}

TEST(Qwen2Moe, EqualsTheDenseModelItIsBuiltFrom) {
  std::mt19937 random(5);
  std::normal_distribution<float> normal(0.0f, 0.2f);
  auto values = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = normal(random);
    return v;
  };
  const int head_dim = kHidden / kHeads, kv_dim = kKvHeads * head_dim;
  Tensors common{{"model.embed_tokens.weight", {{kVocab, kHidden}, values(kVocab * kHidden)}},
                 {"model.norm.weight", {{kHidden}, values(kHidden)}},
                 {"lm_head.weight", {{kVocab, kHidden}, values(kVocab * kHidden)}}};
  Tensors dense = common, moe = common;
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    Tensors attention{{p + "input_layernorm.weight", {{kHidden}, values(kHidden)}},
                      {p + "post_attention_layernorm.weight", {{kHidden}, values(kHidden)}},
                      {p + "self_attn.q_proj.weight", {{kHidden, kHidden}, values(kHidden * kHidden)}},
                      {p + "self_attn.q_proj.bias", {{kHidden}, values(kHidden)}},
                      {p + "self_attn.k_proj.weight", {{kv_dim, kHidden}, values(kv_dim * kHidden)}},
                      {p + "self_attn.k_proj.bias", {{kv_dim}, values(kv_dim)}},
                      {p + "self_attn.v_proj.weight", {{kv_dim, kHidden}, values(kv_dim * kHidden)}},
                      {p + "self_attn.v_proj.bias", {{kv_dim}, values(kv_dim)}},
                      {p + "self_attn.o_proj.weight", {{kHidden, kHidden}, values(kHidden * kHidden)}}};
    dense.insert(dense.end(), attention.begin(), attention.end());
    moe.insert(moe.end(), attention.begin(), attention.end());
    const auto gate = values(kInner * kHidden), up = values(kInner * kHidden), down = values(kHidden * kInner);
    auto scaled_down = down;
    for (float& v : scaled_down) v *= 1.5f;
    dense.push_back({p + "mlp.gate_proj.weight", {{kInner, kHidden}, gate}});
    dense.push_back({p + "mlp.up_proj.weight", {{kInner, kHidden}, up}});
    dense.push_back({p + "mlp.down_proj.weight", {{kHidden, kInner}, scaled_down}});
    moe.push_back({p + "mlp.gate.weight", {{kExperts, kHidden}, values(kExperts * kHidden)}});
    for (int e = 0; e < kExperts; ++e) {
      const std::string x = p + "mlp.experts." + std::to_string(e) + ".";
      moe.push_back({x + "gate_proj.weight", {{kInner, kHidden}, gate}});
      moe.push_back({x + "up_proj.weight", {{kInner, kHidden}, up}});
      moe.push_back({x + "down_proj.weight", {{kHidden, kInner}, down}});
    }
    moe.push_back({p + "mlp.shared_expert.gate_proj.weight", {{kInner, kHidden}, gate}});
    moe.push_back({p + "mlp.shared_expert.up_proj.weight", {{kInner, kHidden}, up}});
    moe.push_back({p + "mlp.shared_expert.down_proj.weight", {{kHidden, kInner}, down}});
    moe.push_back({p + "mlp.shared_expert_gate.weight", {{1, kHidden}, std::vector<float>(kHidden, 0.0f)}});
  }
  nlohmann::ordered_json config{{"model_type", "qwen2"},          {"hidden_size", kHidden},
                                {"intermediate_size", kInner},    {"num_hidden_layers", kLayers},
                                {"num_attention_heads", kHeads},  {"num_key_value_heads", kKvHeads},
                                {"vocab_size", kVocab},           {"rms_norm_eps", 1e-6},
                                {"tie_word_embeddings", false}};
  test::ScratchDir scratch;
  write_model(scratch / "dense", config, dense);
  config["model_type"] = "qwen2_moe";
  config["num_experts"] = kExperts;
  config["num_experts_per_tok"] = 2;
  config["moe_intermediate_size"] = kInner;
  config["shared_expert_intermediate_size"] = kInner;
  config["norm_topk_prob"] = true;
  write_model(scratch / "moe", config, moe);

  const Model dense_model = Model::load(scratch / "dense");
  const Model moe_model = Model::load(scratch / "moe");
  ASSERT_TRUE(moe_model.weights().layers[0].moe.has_value());
  ASSERT_TRUE(moe_model.weights().layers[0].moe->shared_expert.has_value());
  const std::vector<std::int32_t> tokens{3, 17, 42, 5, 63, 0, 8, 29};
  const auto expected = dense_model.forward(tokens);
  const auto got = moe_model.forward(tokens);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4) << i;
}

}  // namespace
}  // namespace swan::inference
