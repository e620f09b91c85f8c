// The MLX writer on the shared small models and on failure paths: group-size fallback
// (stories260k's MLP width 172), SWAN manifests, refusal of a non-empty OUT_DIR, cleanup
// after a failure midway, NaN/overflow refusal, and determinism across thread counts.
#include <gtest/gtest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "mlx/directory_util.h"
#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/inspect.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_optimized.h"

namespace swan::mlx {
namespace {

using plan::QuantDecision;

WriteOptions with_dtype(DType dtype) {
  WriteOptions options;
  options.dtype = dtype;
  return options;
}
WriteOptions with_shard_limit(std::uint64_t bytes) {
  WriteOptions options;
  options.max_shard_bytes = bytes;
  return options;
}
WriteOptions forced() {
  WriteOptions options;
  options.force = true;
  return options;
}

nlohmann::json parse(const std::filesystem::path& path) { return nlohmann::json::parse(test::read_file_text(path)); }

std::filesystem::path model(const std::string& name) { return test::shared_path("models/" + name); }

// Inspect finds nothing wrong and counts what the writer counted.
void expect_consistent(const WriteResult& result, const std::filesystem::path& dir) {
  const auto report = inspect_directory(dir);
  EXPECT_TRUE(report.ok()) << (report.violations.empty() ? "" : report.violations[0]);
  EXPECT_TRUE(report.warnings.empty()) << (report.warnings.empty() ? "" : report.warnings[0]);
  EXPECT_EQ(report.summary.total_params, result.summary.total_params);
  EXPECT_EQ(report.summary.total_bytes, result.summary.total_bytes);
  EXPECT_DOUBLE_EQ(report.summary.bits_per_weight(), result.summary.bits_per_weight());
}

// The mlx_lm rule (uniform default): a matrix whose width is not a multiple of the group
// stays float; at group 128 that is every matrix of stories260k (widths 64 and 172), as the
// mlx_lm-logits README records for mlx_lm.convert.
TEST(MlxWriter, UniformLeavesFloatWhatMlxLmLeavesFloat) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("stories260k"));
  const auto plan = plan::uniform_plan(quantizable_targets(source), 4, 128);
  const auto result = write_mlx_model(source, plan, scratch / "out");
  expect_consistent(result, scratch / "out");
  for (const auto& [name, tensor] : test::read_tensors(scratch / "out")) {
    EXPECT_FALSE(name.ends_with(".scales")) << name;
    EXPECT_EQ(tensor.dtype, DType::F32) << name;
  }
  EXPECT_EQ(result.fallbacks.size(), 5u * 7 + 1);  // every matrix and the embedding, each reported
}

TEST(MlxWriter, Stories260kFallsBackToSmallerGroupsWhenAsked) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("stories260k"));
  const auto plan =
      plan::uniform_plan(quantizable_targets(source), 4, 128, plan::GroupSizeFallback::smaller_groups);
  const auto result = write_mlx_model(source, plan, scratch / "out");
  expect_consistent(result, scratch / "out");
  // 5 layers: down_proj [64, 172] has no group size dividing 172 -> float; every other
  // matrix has last dim 64 -> g64 instead of g128.
  EXPECT_EQ(result.fallbacks.size(), 5u + 5 * 6 + 1);
  const auto config = parse(scratch / "out/config.json");
  const auto& q = config["quantization"];
  EXPECT_EQ(q["bits"], 4);
  EXPECT_EQ(q["group_size"], 128);
  EXPECT_EQ(q["model.layers.2.mlp.down_proj"], false);
  EXPECT_EQ(q["model.layers.2.mlp.up_proj"], (nlohmann::json{{"group_size", 64}, {"bits", 4}, {"mode", "affine"}}));
  EXPECT_EQ(q["model.embed_tokens"]["group_size"], 64);
  EXPECT_EQ(q.size(), 3u + 5 * 7 + 1);
  EXPECT_FALSE(q.contains("lm_head"));
  const auto tensors = test::read_tensors(scratch / "out");
  EXPECT_EQ(tensors.at("model.layers.2.mlp.down_proj.weight").dtype, DType::F32);  // torch_dtype float32
  EXPECT_EQ(tensors.at("model.layers.2.mlp.up_proj.scales").shape, (std::vector<std::int64_t>{172, 1}));
  EXPECT_EQ(tensors.at("model.layers.2.mlp.up_proj.weight").shape, (std::vector<std::int64_t>{172, 8}));
  // The float tensor is the source tensor, byte for byte.
  SafetensorsFile src(model("stories260k") / "model.safetensors");
  const auto& info = src.at("model.layers.2.mlp.down_proj.weight");
  const auto bytes = src.data(info);
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), tensors.at(info.name).data.begin()));
  // Tokenizer files travel with the model.
  for (const char* f : {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"})
    EXPECT_TRUE(std::filesystem::exists(scratch / "out" / f)) << f;
  EXPECT_NE(test::read_file_text(scratch / "out/README.md").find("down_proj"), std::string::npos);
}

TEST(MlxWriter, SwanManifestPlan) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("stories260k"));
  const auto decisions =
      plan::read_manifest_decisions(test::shared_path("golden/swan-reference/stories260k_manifest_seed0.json"));
  const auto plan = plan::swan_plan(quantizable_targets(source), decisions);
  const auto result = write_mlx_model(source, plan, scratch / "out", with_dtype(DType::BF16));
  expect_consistent(result, scratch / "out");
  const auto config = parse(scratch / "out/config.json");
  const auto& q = config["quantization"];
  EXPECT_EQ(q["bits"], 4);
  EXPECT_EQ(q["group_size"], 128);
  EXPECT_EQ(q["model.embed_tokens"], false);  // protected: 16 bits
  EXPECT_EQ(q["model.layers.0.self_attn.o_proj"], (nlohmann::json{{"group_size", 64}, {"bits", 8}, {"mode", "affine"}}));
  EXPECT_EQ(q["model.layers.4.self_attn.k_proj"]["bits"], 8);
  EXPECT_EQ(q["model.layers.1.self_attn.o_proj"]["bits"], 4);  // 4-bit, g128 -> g64 for 64 columns
  EXPECT_EQ(config["torch_dtype"], "bfloat16");
  EXPECT_EQ(test::read_tensors(scratch / "out").at("model.norm.weight").dtype, DType::BF16);
}

TEST(MlxWriter, Qwen3TinyUniform) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("qwen3-tiny-5.8m"));
  const auto plan = plan::uniform_plan(quantizable_targets(source), 4, 64);
  const auto result = write_mlx_model(source, plan, scratch / "out");
  expect_consistent(result, scratch / "out");
  EXPECT_TRUE(result.fallbacks.empty());
  const auto config = parse(scratch / "out/config.json");
  EXPECT_EQ(config["quantization"].size(), 3u);  // no overrides needed
  EXPECT_EQ(config["eos_token_id"], 4091);
  const auto tensors = test::read_tensors(scratch / "out");
  EXPECT_FALSE(tensors.contains("lm_head.weight"));
  EXPECT_EQ(tensors.at("model.layers.0.mlp.down_proj.weight").shape, (std::vector<std::int64_t>{256, 96}));
  EXPECT_EQ(tensors.at("model.layers.0.self_attn.q_norm.weight").dtype, DType::BF16);
}

// The plan's scale method reaches the file: every quantized tensor is exactly
// quant::quantize_affine(..., optimized) of the source weights (bf16, so exact in float32),
// and differs from the min/max file.
// The norm weight whose output a qwen3-tiny tensor reads (input_importance.h's rule, spelled
// out by hand for this model's names), or "" for uniform.
std::string input_norm_of(const std::string& name) {
  if (name == "model.embed_tokens.weight") return "model.norm.weight";  // tied: the output head
  const std::size_t layer_end = name.find('.', std::string("model.layers.").size());
  const std::string layer = name.substr(0, layer_end + 1);
  for (const char* p : {"q_proj", "k_proj", "v_proj"})
    if (name.ends_with(std::string(p) + ".weight")) return layer + "input_layernorm.weight";
  for (const char* p : {"gate_proj", "up_proj"})
    if (name.ends_with(std::string(p) + ".weight")) return layer + "post_attention_layernorm.weight";
  return "";
}

// Optimized scales are the reference quantizer's, weighted by the squared norm weights
// (scaled to mean 1) where a tensor reads a norm, unweighted elsewhere; min/max differs.
TEST(MlxWriter, WritesWithThePlansScaleMethod) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("qwen3-tiny-5.8m"));
  auto plan = plan::uniform_plan(quantizable_targets(source), 3, 64);
  write_mlx_model(source, plan, scratch / "minmax");
  plan.set_scale_method(quant::ScaleMethod::optimized);
  const auto result = write_mlx_model(source, plan, scratch / "optimized");
  expect_consistent(result, scratch / "optimized");
  const auto minmax = test::read_tensors(scratch / "minmax");
  const auto optimized = test::read_tensors(scratch / "optimized");
  SafetensorsFile src(model("qwen3-tiny-5.8m") / "model.safetensors");
  const quant::AffineFormat format{3, 64};
  int checked = 0, weighted = 0;
  for (const auto& t : plan.tensors()) {
    if (!t.decision.is_quantized()) continue;
    const auto& info = src.at(t.sources[0]);
    const std::size_t cols = static_cast<std::size_t>(info.shape.back());
    const std::size_t rows = static_cast<std::size_t>(t.num_elements()) / cols;
    std::vector<float> weights(rows * cols);
    convert_to_float(info.dtype, src.data(info), weights);
    std::vector<float> column_weights;
    if (const std::string norm = input_norm_of(t.sources[0]); !norm.empty()) {
      const auto& norm_info = src.at(norm);
      std::vector<float> gamma(cols);
      convert_to_float(norm_info.dtype, src.data(norm_info), gamma);
      double sum = 0.0;
      for (const float g : gamma) sum += g * g;  // float squares (exact for bf16 norms), double sum
      for (const float g : gamma) column_weights.push_back(static_cast<float>((g * g) / (sum / cols)));
      ++weighted;
    }
    std::vector<std::uint32_t> packed(rows * quant::packed_words_per_row(cols, 3));
    std::vector<float> scales(rows * quant::groups_per_row(cols, 64)), biases(scales.size());
    quant::quantize_affine_optimized_reference(weights, rows, cols, format, DType::BF16, column_weights, packed,
                                               scales, biases);
    const std::string module = t.name.substr(0, t.name.size() - std::string(".weight").size());
    const auto& written = optimized.at(t.name).data;
    ASSERT_EQ(written.size(), packed.size() * 4) << t.name;
    EXPECT_EQ(std::memcmp(written.data(), packed.data(), written.size()), 0) << t.name;
    std::vector<float> written_scales(scales.size());
    convert_to_float(DType::BF16, optimized.at(module + ".scales").data, written_scales);
    EXPECT_EQ(written_scales, scales) << t.name;
    EXPECT_NE(written, minmax.at(t.name).data) << t.name;
    ++checked;
  }
  EXPECT_GT(checked, 10);
  EXPECT_EQ(weighted, 1 + 6 * 5);  // the tied embedding; q, k, v, gate, up in each of 6 layers
}

TEST(MlxWriter, ShardsAreSplitLikeMlxLm) {
  test::ScratchDir scratch;
  const ModelDirectory source(test::shared_path("golden/mlx_lm/qwen2_tied_uniform_q4g64/hf_source"));
  const auto plan = plan::uniform_plan(quantizable_targets(source), 4, 64);
  const auto result = write_mlx_model(source, plan, scratch / "out", with_shard_limit(50000));
  expect_consistent(result, scratch / "out");
  const auto index = parse(scratch / "out/model.safetensors.index.json");
  std::set<std::string> files;
  for (const auto& [name, file] : index["weight_map"].items()) files.insert(file.get<std::string>());
  ASSERT_GT(files.size(), 1u);
  EXPECT_EQ(*files.begin(), fmt::format("model-00001-of-{:05d}.safetensors", files.size()));
  // Same tensors, same bytes as the single-shard golden.
  const auto a = test::read_tensors(scratch / "out");
  const auto b = test::read_tensors(test::shared_path("golden/mlx_lm/qwen2_tied_uniform_q4g64/mlx_lm_output"));
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, t] : b) EXPECT_TRUE(a.at(name).data == t.data) << name;
  for (const auto& f : files) EXPECT_LE(std::filesystem::file_size(scratch / "out" / f), 50000u + 4096) << f;
}

TEST(MlxWriter, RefusesANonEmptyOutputUnlessForced) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("stories260k"));
  const auto plan = plan::uniform_plan(quantizable_targets(source), 8, 64);
  std::filesystem::create_directories(scratch / "out");
  std::ofstream(scratch / "out/precious.txt") << "keep me";
  EXPECT_THROW(write_mlx_model(source, plan, scratch / "out"), Error);
  EXPECT_EQ(test::read_file_text(scratch / "out/precious.txt"), "keep me");
  write_mlx_model(source, plan, scratch / "out", forced());
  EXPECT_FALSE(std::filesystem::exists(scratch / "out/precious.txt"));
  EXPECT_TRUE(std::filesystem::exists(scratch / "out/model.safetensors"));
  // The input directory is never an output.
  EXPECT_THROW(write_mlx_model(source, plan, model("stories260k"), forced()), Error);
  EXPECT_THROW(write_mlx_model(source, plan, model("stories260k") / "sub", forced()), Error);
  // Only our output and nothing else next to it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(scratch.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(MlxWriter, FailureMidwayLeavesNothingBehind) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("stories260k"));
  const auto plan = plan::uniform_plan(quantizable_targets(source), 4, 64);
  WriteOptions options;
  options.on_parameter = [](std::size_t i, std::size_t, const std::string&) {
    if (i == 20) throw Error("injected failure");
  };
  try {
    write_mlx_model(source, plan, scratch / "out", options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("injected failure"), std::string::npos);
  }
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));  // no OUT_DIR, no temp dir
}

// A one-tensor-plus-norm llama model in `dir` whose embedding holds `value` at one element.
void write_tiny_model(const std::filesystem::path& dir, float value, const char* torch_dtype) {
  std::filesystem::create_directories(dir);
  // Not a whole Llama (no layers), so not a model_type swan checks against mlx_lm's classes.
  std::ofstream(dir / "config.json") << nlohmann::json{{"model_type", "tiny_test"}, {"torch_dtype", torch_dtype}}.dump();
  std::vector<float> embedding(4 * 64, 0.25f), norm(64, 1.0f);
  embedding[77] = value;
  SafetensorsWriter writer(dir / "model.safetensors",
                           {{"model.embed_tokens.weight", DType::F32, {4, 64}}, {"model.norm.weight", DType::F32, {64}}},
                           {});
  writer.write("model.embed_tokens.weight", std::as_bytes(std::span(embedding)));
  writer.write("model.norm.weight", std::as_bytes(std::span(norm)));
  writer.finish();
}

TEST(MlxWriter, RefusesNonFiniteValuesNamingTheTensor) {
  test::ScratchDir scratch;
  for (auto [value, dtype] : {std::pair{std::numeric_limits<float>::quiet_NaN(), "float32"},
                              std::pair{std::numeric_limits<float>::infinity(), "bfloat16"},
                              std::pair{1.0e6f, "float16"}}) {  // finite, but overflows fp16
    test::ScratchDir input;
    write_tiny_model(input / "hf", value, dtype);
    const ModelDirectory source(input / "hf");
    const auto plan = plan::uniform_plan(quantizable_targets(source), 4, 64);
    try {
      write_mlx_model(source, plan, scratch / "out");
      FAIL() << "expected an error for " << value;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("model.embed_tokens.weight"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));
  }
}

TEST(MlxWriter, DeterministicAcrossRunsAndThreadCounts) {
  test::ScratchDir scratch;
  const ModelDirectory source(model("qwen3-tiny-5.8m"));
  plan::QuantPlan plan("manual", QuantDecision::quantized(4, 64));
  int i = 0;
  for (const auto& target : quantizable_targets(source)) {  // a mix of every bit width and group size
    const int bits = std::array{2, 3, 4, 5, 6, 8}[i % 6];
    plan.set(target, QuantDecision::quantized(bits, 32 << (i % 3)), "test");
    ++i;
  }
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  write_mlx_model(source, plan, scratch / "a");
  omp_set_num_threads(std::max(2, threads));
  write_mlx_model(source, plan, scratch / "b");
  omp_set_num_threads(threads);
  test::expect_identical_directories(scratch / "a", scratch / "b");
  EXPECT_TRUE(inspect_directory(scratch / "a").ok());
  plan.set_scale_method(quant::ScaleMethod::optimized);
  omp_set_num_threads(1);
  write_mlx_model(source, plan, scratch / "c");
  omp_set_num_threads(std::max(2, threads));
  write_mlx_model(source, plan, scratch / "d");
  omp_set_num_threads(threads);
  test::expect_identical_directories(scratch / "c", scratch / "d");
}

}  // namespace
}  // namespace swan::mlx
