// ModelConfig parsing: the fixture models' configs, mlx_lm's defaults, and every error path.
#include <gtest/gtest.h>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/model/architecture.h"

namespace swan::model {
namespace {

using Json = nlohmann::ordered_json;

Json minimal(const std::string& model_type) {
  return Json{{"model_type", model_type}, {"hidden_size", 64},        {"intermediate_size", 128},
              {"num_hidden_layers", 2},   {"num_attention_heads", 4}, {"vocab_size", 100},
              {"rms_norm_eps", 1e-5}};
}

std::string error_of(const Json& config) {
  try {
    parse_model_config(config, "test/config.json");
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(Architecture, Qwen3TinyConfig) {
  const ModelConfig c = load_model_config(test::shared_path("models/qwen3-tiny-5.8m"));
  EXPECT_EQ(c.architecture, Architecture::Qwen3);
  EXPECT_EQ(c.hidden_size, 256);
  EXPECT_EQ(c.intermediate_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 6);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 4096);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::None);  // "rope_scaling": null
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.bos_token_id, 4091);
  EXPECT_EQ(c.eos_token_ids, std::vector<std::int64_t>{4091});
  EXPECT_EQ(c.torch_dtype, DType::BF16);
}

TEST(Architecture, Stories260kConfig) {
  const ModelConfig c = load_model_config(test::shared_path("models/stories260k"));
  EXPECT_EQ(c.architecture, Architecture::Llama);
  EXPECT_EQ(c.intermediate_size, 172);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.q_dim(), 64);
  EXPECT_EQ(c.kv_dim(), 32);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.qk_norm);
  EXPECT_EQ(c.torch_dtype, DType::F32);
}

TEST(Architecture, DefaultsFollowMlxLm) {
  const ModelConfig llama = parse_model_config(minimal("llama"), "x");
  EXPECT_EQ(llama.head_dim, 16);             // hidden / heads
  EXPECT_EQ(llama.num_key_value_heads, 4);   // = heads
  EXPECT_DOUBLE_EQ(llama.rope_theta, 10000.0);
  const ModelConfig qwen2 = parse_model_config(minimal("qwen2"), "x");
  EXPECT_TRUE(qwen2.qkv_bias);  // Qwen2 always has q/k/v biases, never an o_proj bias
  EXPECT_FALSE(qwen2.o_bias);
}

TEST(Architecture, BiasesAndHeadDimOverrides) {
  Json llama = minimal("llama");
  llama["attention_bias"] = true;
  llama["mlp_bias"] = true;
  llama["head_dim"] = 32;  // may differ from hidden / heads
  llama["num_key_value_heads"] = 2;
  llama["eos_token_id"] = Json::array({128001, 128009});
  const ModelConfig c = parse_model_config(llama, "x");
  EXPECT_TRUE(c.qkv_bias && c.o_bias && c.mlp_bias);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_EQ(c.q_dim(), 128);
  EXPECT_EQ(c.eos_token_ids, (std::vector<std::int64_t>{128001, 128009}));
}

TEST(Architecture, Llama3RopeScaling) {
  Json config = minimal("llama");
  config["rope_scaling"] = {{"rope_type", "llama3"},
                            {"factor", 8.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 8192}};
  const RopeScaling s = parse_model_config(config, "x").rope_scaling;
  EXPECT_EQ(s.type, RopeScaling::Type::Llama3);
  EXPECT_DOUBLE_EQ(s.factor, 8.0);
  EXPECT_DOUBLE_EQ(s.high_freq_factor, 4.0);
  EXPECT_DOUBLE_EQ(s.original_max_position_embeddings, 8192.0);

  config["rope_scaling"].erase("low_freq_factor");
  EXPECT_NE(error_of(config).find("low_freq_factor"), std::string::npos);
  config["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
  EXPECT_NE(error_of(config).find("\"yarn\" is not supported"), std::string::npos);
  config["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
  EXPECT_EQ(parse_model_config(config, "x").rope_scaling.type, RopeScaling::Type::Linear);
}

TEST(Architecture, ErrorsNameTheKeyAndTheFile) {
  Json missing = minimal("llama");
  missing.erase("hidden_size");
  const std::string message = error_of(missing);
  EXPECT_NE(message.find("test/config.json"), std::string::npos) << message;
  EXPECT_NE(message.find("hidden_size"), std::string::npos) << message;

  Json wrong_type = minimal("llama");
  wrong_type["num_hidden_layers"] = "six";
  EXPECT_NE(error_of(wrong_type).find("num_hidden_layers"), std::string::npos);
  Json negative = minimal("llama");
  negative["vocab_size"] = -3;
  EXPECT_NE(error_of(negative).find("must be positive"), std::string::npos);
  Json gqa = minimal("llama");
  gqa["num_key_value_heads"] = 3;
  EXPECT_NE(error_of(gqa).find("num_key_value_heads"), std::string::npos);
  Json dtype = minimal("llama");
  dtype["torch_dtype"] = "float64";
  EXPECT_NE(error_of(dtype).find("float64"), std::string::npos);
  Json no_type = minimal("llama");
  no_type.erase("model_type");
  EXPECT_NE(error_of(no_type).find("model_type"), std::string::npos);
  // mlx_lm's qwen3 needs head_dim; transformers would guess 128.
  Json qwen3 = minimal("qwen3");
  EXPECT_NE(error_of(qwen3).find("head_dim"), std::string::npos);
}

TEST(Architecture, Qwen3MoeTinyConfig) {
  const ModelConfig c = load_model_config(test::shared_path("models/moe-tiny-qwen3"));
  EXPECT_EQ(c.architecture, Architecture::Qwen3Moe);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.head_dim, 32);
  EXPECT_EQ(c.moe.num_experts, 8);
  EXPECT_EQ(c.moe.experts_per_token, 2);
  EXPECT_EQ(c.moe.expert_intermediate_size, 128);
  EXPECT_EQ(c.intermediate_size, 192);  // the dense layer's
  EXPECT_TRUE(c.moe.normalize_top_k);
  EXPECT_EQ(c.moe.block, "mlp");
  // "mlp_only_layers": [1], decoder_sparse_step 1.
  EXPECT_TRUE(c.is_moe_layer(0));
  EXPECT_FALSE(c.is_moe_layer(1));
  EXPECT_TRUE(c.is_moe_layer(2));
}

TEST(Architecture, MixtralTinyConfig) {
  const ModelConfig c = load_model_config(test::shared_path("models/moe-tiny-mixtral"));
  EXPECT_EQ(c.architecture, Architecture::Mixtral);
  EXPECT_EQ(c.head_dim, 32);  // hidden 128 / 4 heads; Mixtral configs have no head_dim
  EXPECT_EQ(c.moe.num_experts, 8);
  EXPECT_EQ(c.moe.expert_intermediate_size, 192);
  EXPECT_TRUE(c.moe.normalize_top_k);
  EXPECT_EQ(c.moe.block, "block_sparse_moe");
  EXPECT_TRUE(c.is_moe_layer(0));
  EXPECT_TRUE(c.is_moe_layer(1));
}

TEST(Architecture, Qwen2MoeSharedExpertAndSparseStep) {
  Json config = minimal("qwen2_moe");
  config["num_experts"] = 4;
  config["num_experts_per_tok"] = 2;
  config["moe_intermediate_size"] = 32;
  config["shared_expert_intermediate_size"] = 96;
  config["decoder_sparse_step"] = 2;
  const ModelConfig c = parse_model_config(config, "test/config.json");
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.moe.normalize_top_k);  // transformers' default
  EXPECT_EQ(c.moe.shared_expert_intermediate_size, 96);
  EXPECT_FALSE(c.is_moe_layer(0));
  EXPECT_TRUE(c.is_moe_layer(1));
  config.erase("shared_expert_intermediate_size");
  EXPECT_NE(error_of(config).find("shared_expert_intermediate_size"), std::string::npos);
  config["shared_expert_intermediate_size"] = 96;
  config["num_experts_per_tok"] = 5;
  EXPECT_NE(error_of(config).find("exceeds"), std::string::npos);
}

TEST(Architecture, OtherMixtureOfExpertsAndUnknownTypesAreRejectedClearly) {
  for (const char* type : {"deepseek_v3", "dbrx", "olmoe"}) {
    const std::string message = error_of(minimal(type));
    EXPECT_NE(message.find("mixture-of-experts"), std::string::npos) << type << ": " << message;
    EXPECT_NE(message.find("qwen3_moe"), std::string::npos) << message;  // says what is supported
  }
  Json experts = minimal("llama");
  experts["num_local_experts"] = 8;
  EXPECT_NE(error_of(experts).find("mixture-of-experts"), std::string::npos);
  const std::string message = error_of(minimal("gpt2"));
  EXPECT_NE(message.find("\"gpt2\" is not supported"), std::string::npos) << message;
  EXPECT_NE(message.find("qwen3"), std::string::npos) << message;  // lists what is supported
}

TEST(Architecture, SlidingWindowIsActiveOnlyWhereTransformersAppliesIt) {
  auto with = [](const std::string& type, Json extra) {
    Json c = minimal(type);
    for (const auto& [k, v] : extra.items()) c[k] = v;
    if (type == "qwen3") c["head_dim"] = 16;
    return parse_model_config(c, "x").sliding_window;
  };
  EXPECT_EQ(with("mistral", {{"sliding_window", 4096}}), 4096);
  EXPECT_EQ(with("mistral", {{"sliding_window", nullptr}}), std::nullopt);  // Mistral v0.2+
  EXPECT_EQ(with("mistral", Json::object()), std::nullopt);
  EXPECT_EQ(with("llama", {{"sliding_window", 4096}}), std::nullopt);  // Llama has no window
  // Qwen2/Qwen3: only with use_sliding_window, and only if a layer is at or past max_window_layers.
  EXPECT_EQ(with("qwen2", {{"sliding_window", 4096}, {"use_sliding_window", false}}), std::nullopt);
  EXPECT_EQ(with("qwen2", {{"sliding_window", 4096}, {"use_sliding_window", true}, {"max_window_layers", 2}}),
            std::nullopt);  // 2 layers, all below max_window_layers
  EXPECT_EQ(with("qwen2", {{"sliding_window", 4096}, {"use_sliding_window", true}, {"max_window_layers", 1}}), 4096);
  EXPECT_EQ(with("qwen3", {{"sliding_window", 512}, {"use_sliding_window", true}, {"max_window_layers", 0}}), 512);
  EXPECT_NE(error_of([] {
              Json c = minimal("mistral");
              c["sliding_window"] = -1;
              return c;
            }()).find("sliding_window"),
            std::string::npos);
}

TEST(Architecture, SizesBeyondAnyRealModelAreRefusedNotWrapped) {
  for (const Json value : {Json(1ULL << 41), Json(18446744073709551615ULL), Json(9223372036854775807LL)}) {
    Json c = minimal("llama");
    c["num_hidden_layers"] = value;
    EXPECT_NE(error_of(c).find("num_hidden_layers"), std::string::npos) << value.dump();
  }
  EXPECT_EQ(last_layer_prefix(parse_model_config(minimal("llama"), "x")), "model.layers.1.");
}

}  // namespace
}  // namespace swan::model
