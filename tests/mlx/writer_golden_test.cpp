// End to end against mlx_lm itself (shared/golden/mlx_lm): convert each fixture's
// hf_source and compare with what mlx_lm wrote — every tensor byte for byte, config.json
// (parsed), index totals and weight_map keys, safetensors metadata.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <regex>

#include "mlx/directory_util.h"
#include "support/fixtures.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/inspect.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"

namespace swan::mlx {
namespace {

using plan::QuantDecision;

std::filesystem::path fixture(const std::string& name) { return test::shared_path("golden/mlx_lm/" + name); }

nlohmann::json parse(const std::filesystem::path& path) { return nlohmann::json::parse(test::read_file_text(path)); }

void expect_same_as_mlx_lm(const std::filesystem::path& ours, const std::filesystem::path& theirs) {
  const auto a = test::read_tensors(ours), b = test::read_tensors(theirs);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, expected] : b) {
    ASSERT_TRUE(a.contains(name)) << "missing " << name;
    const auto& got = a.at(name);
    EXPECT_EQ(got.dtype, expected.dtype) << name;
    EXPECT_EQ(got.shape, expected.shape) << name;
    EXPECT_TRUE(got.data == expected.data) << "bytes differ: " << name;
  }
  const auto config = parse(ours / "config.json"), golden_config = parse(theirs / "config.json");
  EXPECT_EQ(config["quantization"], golden_config["quantization"]);
  EXPECT_EQ(config["quantization_config"], golden_config["quantization_config"]);
  EXPECT_EQ(config, golden_config);  // other keys carried over, _name_or_path dropped, eos_token_id added
  const auto index = parse(ours / "model.safetensors.index.json");
  const auto golden_index = parse(theirs / "model.safetensors.index.json");
  EXPECT_EQ(index["metadata"]["total_size"], golden_index["metadata"]["total_size"]);
  EXPECT_EQ(index["metadata"]["total_parameters"], golden_index["metadata"]["total_parameters"]);
  EXPECT_EQ(index["weight_map"], golden_index["weight_map"]);
  SafetensorsFile shard(ours / "model.safetensors");
  EXPECT_EQ(shard.metadata().at("format"), "mlx");
}

TEST(MlxWriterGolden, Qwen2TiedUniformQ4G64) {
  test::ScratchDir scratch;
  const ModelDirectory source(fixture("qwen2_tied_uniform_q4g64/hf_source"));
  const auto plan = plan::uniform_plan(quantizable_targets(source), 4, 64);
  const auto result = write_mlx_model(source, plan, scratch / "out");
  expect_same_as_mlx_lm(scratch / "out", fixture("qwen2_tied_uniform_q4g64/mlx_lm_output"));
  EXPECT_TRUE(result.fallbacks.empty());
  // Files mlx_lm.convert adds beyond the fixture: generation_config.json and the model card.
  EXPECT_EQ(result.files, (std::vector<std::string>{"README.md", "config.json", "generation_config.json",
                                                    "model.safetensors", "model.safetensors.index.json"}));
  // Config keys sorted and indented by 4, no trailing newline, like mlx_lm's save_config.
  const std::string text = test::read_file_text(scratch / "out/config.json");
  EXPECT_EQ(text.substr(0, 24), "{\n    \"architectures\": [");
  EXPECT_EQ(text.back(), '}');
}

// mlx_lm's mixed_3_6 recipe (spec §5.7), written by hand as a per-module plan:
// L = 4 layers, a layer "uses more bits" if i < L/8, i >= 7L/8 or (i - L/8) % 3 == 2;
// v_proj and down_proj of those layers and lm_head get 6 bits, the rest 3; g64 throughout,
// and every quantized module gets its own dict.
TEST(MlxWriterGolden, Qwen3UntiedMixed36G64) {
  test::ScratchDir scratch;
  const ModelDirectory source(fixture("qwen3_untied_mixed_3_6_g64/hf_source"));
  const int layers = 4;
  auto more_bits = [&](int i) { return i < layers / 8 || i >= 7 * layers / 8 || (i - layers / 8) % 3 == 2; };
  plan::QuantPlan plan("mixed_3_6", QuantDecision::quantized(3, 64));
  plan.list_every_module = true;
  const std::regex layer_re(R"(layers\.(\d+)\.)");
  for (const auto& target : quantizable_targets(source)) {
    std::smatch m;
    bool high = target.name == "lm_head.weight";
    if (std::regex_search(target.name, m, layer_re) &&
        (target.name.find("v_proj") != std::string::npos || target.name.find("down_proj") != std::string::npos))
      high = more_bits(std::stoi(m[1]));
    plan.set(target, QuantDecision::quantized(high ? 6 : 3, 64), "mixed_3_6");
  }
  write_mlx_model(source, plan, scratch / "out");
  expect_same_as_mlx_lm(scratch / "out", fixture("qwen3_untied_mixed_3_6_g64/mlx_lm_output"));
}

// The same recipe from swan's builder (what `swan convert --quant-predicate mixed_3_6` runs).
TEST(MlxWriterGolden, MixedRecipeBuilderEqualsMlxLm) {
  test::ScratchDir scratch;
  const ModelDirectory source(fixture("qwen3_untied_mixed_3_6_g64/hf_source"));
  write_mlx_model(source, plan::mixed_recipe_plan(quantizable_targets(source), "mixed_3_6", 64), scratch / "out");
  expect_same_as_mlx_lm(scratch / "out", fixture("qwen3_untied_mixed_3_6_g64/mlx_lm_output"));
}

TEST(MlxInspect, AcceptsMlxLmOutputsAndOurs) {
  for (const char* name : {"qwen2_tied_uniform_q4g64", "qwen3_untied_mixed_3_6_g64"}) {
    const auto golden = fixture(std::string(name) + "/mlx_lm_output");
    const auto report = inspect_directory(golden);
    EXPECT_EQ(report.format, "mlx");
    EXPECT_TRUE(report.ok()) << name << ": " << (report.violations.empty() ? "" : report.violations[0]);
    EXPECT_TRUE(report.warnings.empty()) << name << ": " << (report.warnings.empty() ? "" : report.warnings[0]);
    // Logical parameters and bytes agree with what mlx_lm wrote into its index.
    const auto index = parse(golden / "model.safetensors.index.json");
    EXPECT_EQ(report.summary.total_params, index["metadata"]["total_parameters"].get<std::uint64_t>());
    EXPECT_EQ(report.summary.total_bytes, index["metadata"]["total_size"].get<std::uint64_t>());
  }
  const auto hf = inspect_directory(fixture("qwen2_tied_uniform_q4g64/hf_source"));
  EXPECT_EQ(hf.format, "hf");
  for (const auto& p : hf.summary.parameters)  // bf16 weights; the rotary buffers are F32
    EXPECT_EQ(p.bits, p.name.find("inv_freq") != std::string::npos ? 32 : 16) << p.name;
}

TEST(MlxInspect, UniformQ4G64Averages) {
  // qwen2 fixture, 4-bit g64 bf16: a quantized weight costs 4 + 2·16/64 = 4.5 bits with overhead.
  const auto report = inspect_directory(fixture("qwen2_tied_uniform_q4g64/mlx_lm_output"));
  std::uint64_t quantized = 0, float_params = 0;
  for (const auto& p : report.summary.parameters) {
    if (p.quantized) {
      EXPECT_EQ(p.bits, 4);
      EXPECT_EQ(p.group_size, 64);
      EXPECT_EQ(p.bytes * 8, p.params * 9 / 2) << p.name;
      quantized += p.params;
    } else {
      EXPECT_EQ(p.bits, 16) << p.name;
      float_params += p.params;
    }
  }
  // 230528 logical parameters: embedding 32768 + 2 layers × 98304 matrix weights quantized.
  EXPECT_EQ(quantized, 32768u + 2 * 98304u);
  EXPECT_EQ(float_params, 230528u - quantized);
  EXPECT_NEAR(report.summary.bits_per_weight(), (4.0 * quantized + 16.0 * float_params) / 230528, 1e-12);
}

void expect_violation(const InspectReport& report, const std::string& needle) {
  ASSERT_FALSE(report.ok());
  bool found = false;
  for (const auto& v : report.violations) found = found || v.find(needle) != std::string::npos;
  EXPECT_TRUE(found) << "no violation mentions '" << needle << "'; first: " << report.violations[0];
}

TEST(MlxInspect, FlagsAMissingOverride) {
  test::ScratchDir scratch;
  const auto golden = fixture("qwen3_untied_mixed_3_6_g64/mlx_lm_output");
  test::copy_with_edit(golden, scratch / "dir", [](auto&) {});
  auto config = parse(golden / "config.json");
  for (auto* key : {"quantization", "quantization_config"})
    config[key].erase("model.layers.3.mlp.down_proj");  // 6-bit module, global is 3-bit
  std::ofstream(scratch / "dir/config.json") << config.dump(4);
  const auto report = inspect_directory(scratch / "dir");
  expect_violation(report, "model.layers.3.mlp.down_proj");
  EXPECT_EQ(report.violations.size(), 1u);
}

TEST(MlxInspect, FlagsAStrayLmHeadInATiedModel) {
  test::ScratchDir scratch;
  test::copy_with_edit(fixture("qwen2_tied_uniform_q4g64/mlx_lm_output"), scratch / "dir", [](auto& tensors) {
    for (const char* part : {"weight", "scales", "biases"})
      tensors[std::string("lm_head.") + part] = tensors.at(std::string("model.embed_tokens.") + part);
  });
  const auto report = inspect_directory(scratch / "dir");
  expect_violation(report, "lm_head.scales");
  EXPECT_EQ(report.violations.size(), 3u);
}

TEST(MlxInspect, FlagsAWrongScalesShape) {
  test::ScratchDir scratch;
  test::copy_with_edit(fixture("qwen2_tied_uniform_q4g64/mlx_lm_output"), scratch / "dir", [](auto& tensors) {
    for (const char* part : {"scales", "biases"}) {  // [128, 2] -> [128, 1]: as if group size were 128
      auto& t = tensors.at(std::string("model.layers.1.self_attn.o_proj.") + part);
      t.shape.back() = 1;
      t.data.resize(t.data.size() / 2);
    }
  });
  expect_violation(inspect_directory(scratch / "dir"), "model.layers.1.self_attn.o_proj");
}

TEST(MlxInspect, FlagsQuantizedTensorsTheConfigMarksFalse) {
  test::ScratchDir scratch;
  const auto golden = fixture("qwen2_tied_uniform_q4g64/mlx_lm_output");
  test::copy_with_edit(golden, scratch / "dir", [](auto&) {});
  auto config = parse(golden / "config.json");
  config["quantization"]["model.layers.0.mlp.up_proj"] = false;
  config["quantization"]["model.layers.0.mlp.gate_proj"] = {{"bits", 4}, {"group_size", 64}, {"scale", 1}};
  std::ofstream(scratch / "dir/config.json") << config.dump(4);
  const auto report = inspect_directory(scratch / "dir");
  expect_violation(report, "marks it false");
  expect_violation(report, "\"scale\"");
}

// The tiny MoE fixtures against what mlx_lm.convert -q (4-bit g64) writes for them
// (shared/golden/moe): Mixtral's experts renamed w1/w3/w2 -> gate/up/down_proj, Qwen3-MoE's
// routers at 8-bit g64 as its quant_predicate decides.
void expect_moe_same_as_mlx_lm(const std::string& model) {
  test::ScratchDir scratch;
  const ModelDirectory source(test::shared_path("models/" + model));
  const auto plan = mlx_lm_uniform_plan(source, 4, 64);
  write_mlx_model(source, plan, scratch / "out");
  expect_same_as_mlx_lm(scratch / "out", test::shared_path("golden/moe/" + model + "/mlx_lm_q4_g64"));
  const auto report = inspect_directory(scratch / "out");
  EXPECT_TRUE(report.ok()) << (report.violations.empty() ? "" : report.violations.front());
}

TEST(MlxWriterGolden, MixtralMoeUniformQ4G64) { expect_moe_same_as_mlx_lm("moe-tiny-mixtral"); }
TEST(MlxWriterGolden, Qwen3MoeUniformQ4G64RoutersAt8Bits) { expect_moe_same_as_mlx_lm("moe-tiny-qwen3"); }

TEST(MlxInspect, AcceptsMlxLmMoeOutputs) {
  for (const char* model : {"moe-tiny-qwen3", "moe-tiny-mixtral"}) {
    const auto report = inspect_directory(test::shared_path(std::string("golden/moe/") + model + "/mlx_lm_q4_g64"));
    EXPECT_TRUE(report.ok()) << model << ": " << (report.violations.empty() ? "" : report.violations[0]);
  }
}

// What swan wrote for Mixtral before its experts took mlx_lm's names: mlx_lm refuses it
// ("parameters not in model"), so inspect must too, naming each stray and each missing tensor.
TEST(MlxInspect, FlagsExpertNamesMlxLmsMixtralDoesNotDeclare) {
  test::ScratchDir scratch;
  test::copy_with_edit(test::shared_path("golden/moe/moe-tiny-mixtral/mlx_lm_q4_g64"), scratch / "dir",
                       [](auto& tensors) {
                         for (int layer = 0; layer < 2; ++layer)
                           for (const char* part : {"weight", "scales", "biases"}) {
                             const std::string prefix = fmt::format("model.layers.{}.block_sparse_moe.switch_mlp.", layer);
                             auto node = tensors.extract(prefix + "gate_proj." + part);
                             node.key() = prefix + "w1." + part;
                             tensors.insert(std::move(node));
                           }
                       });
  const auto report = inspect_directory(scratch / "dir");
  expect_violation(report, "'model.layers.0.block_sparse_moe.switch_mlp.w1.weight' is not a parameter of mlx_lm's mixtral");
  expect_violation(report, "'model.layers.1.block_sparse_moe.switch_mlp.gate_proj.weight' is missing");
  EXPECT_EQ(report.violations.size(), 4u);
}

TEST(MlxInspect, FlagsAMissingNorm) {
  test::ScratchDir scratch;
  test::copy_with_edit(fixture("qwen2_tied_uniform_q4g64/mlx_lm_output"), scratch / "dir",
                       [](auto& tensors) { tensors.erase("model.layers.1.input_layernorm.weight"); });
  const auto report = inspect_directory(scratch / "dir");
  expect_violation(report, "'model.layers.1.input_layernorm.weight' is missing");
  EXPECT_EQ(report.violations.size(), 1u);
}

}  // namespace
}  // namespace swan::mlx
