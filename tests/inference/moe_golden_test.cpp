// The MoE forward pass against real mlx_lm (shared/golden/moe): logits, router logits and
// expert picks of moe-tiny-qwen3 (qwen3_moe) and moe-tiny-mixtral (mixtral), from the HF
// directory (per-expert tensors) and from mlx_lm's 4-bit g64 directory (stacked switch_mlp;
// swan's own convert output is byte-identical to it, tests/mlx/writer_golden_test.cpp).
// Tolerance: the golden README's for a float32 engine, 1e-4 absolute on logits; the experts
// exactly (every router margin there exceeds 1e-2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "support/fixtures.h"
#include "swan/inference/model.h"
#include "swan/io/safetensors.h"

namespace swan::inference {
namespace {

constexpr float kLogitTolerance = 1e-4f;

template <typename T>
std::vector<T> read(const SafetensorsFile& file, const std::string& name) {
  const TensorInfo& info = file.at(name);
  EXPECT_EQ(info.dtype, sizeof(T) == 4 && std::is_integral_v<T> ? DType::I32 : DType::F32) << name;
  std::vector<T> values(static_cast<std::size_t>(info.num_elements()));
  std::memcpy(values.data(), file.data(info).data(), values.size() * sizeof(T));
  return values;
}

float max_abs_difference(std::span<const float> a, std::span<const float> b) {
  EXPECT_EQ(a.size(), b.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

float log_sum_exp(std::span<const float> row) {
  const float top = *std::max_element(row.begin(), row.end());
  double sum = 0.0;
  for (float v : row) sum += std::exp(double(v) - top);
  return top + static_cast<float>(std::log(sum));
}

// Compares one sequence's forward pass with variant `variant` of `golden`.
void expect_matches_golden(const Model& model, const SafetensorsFile& golden, const std::string& sequence) {
  const std::string prefix = sequence + ".f32.";
  const auto tokens = read<std::int32_t>(golden, sequence + ".tokens");
  std::vector<LayerRouting> routing;
  const auto logits = model.forward(tokens, nullptr, &routing);
  const std::size_t vocab = model.vocab_size(), n = tokens.size();

  // Router logits and picks, MoE layers in order.
  const auto router = read<float>(golden, prefix + "router_logits");
  const auto experts = read<std::int32_t>(golden, prefix + "experts");
  std::vector<float> our_router;
  std::vector<std::int32_t> our_experts;
  for (const auto& layer : routing) {
    our_router.insert(our_router.end(), layer.router_logits.begin(), layer.router_logits.end());
    our_experts.insert(our_experts.end(), layer.experts.begin(), layer.experts.end());
  }
  EXPECT_LT(max_abs_difference(our_router, router), kLogitTolerance) << sequence;
  EXPECT_EQ(our_experts, experts) << sequence;

  if (golden.find(prefix + "logits")) {  // mixtral: every logit
    EXPECT_LT(max_abs_difference(logits, read<float>(golden, prefix + "logits")), kLogitTolerance) << sequence;
    return;
  }
  // qwen3_moe: all logits of positions 0-7, then the top-64 log-probabilities and log Σ exp.
  const auto first8 = read<float>(golden, prefix + "logits_first8");
  EXPECT_LT(max_abs_difference(std::span(logits).first(8 * vocab), first8), kLogitTolerance) << sequence;
  const auto ids = read<std::int32_t>(golden, prefix + "top64_ids");
  const auto logprobs = read<float>(golden, prefix + "top64_logprobs");
  const auto lse = read<float>(golden, prefix + "logsumexp");
  float worst = 0.0f;
  for (std::size_t t = 0; t < n; ++t) {
    const auto row = std::span(logits).subspan(t * vocab, vocab);
    worst = std::max(worst, std::abs(log_sum_exp(row) - lse[t]));
    for (std::size_t i = 0; i < 64; ++i)
      worst = std::max(worst, std::abs(row[static_cast<std::size_t>(ids[t * 64 + i])] - (logprobs[t * 64 + i] + lse[t])));
  }
  EXPECT_LT(worst, kLogitTolerance) << sequence;
}

void check_model(const std::string& model_dir, const std::string& golden_file) {
  const Model model = Model::load(test::shared_path(model_dir));
  const SafetensorsFile golden(test::shared_path(golden_file));
  for (const char* sequence : {"text", "random"}) expect_matches_golden(model, golden, sequence);
}

TEST(MoeGolden, Qwen3MoeFromHuggingFace) { check_model("models/moe-tiny-qwen3", "golden/moe/moe-tiny-qwen3/float.safetensors"); }
TEST(MoeGolden, Qwen3MoeFromMlx4Bit) {
  check_model("golden/moe/moe-tiny-qwen3/mlx_lm_q4_g64", "golden/moe/moe-tiny-qwen3/q4_g64.safetensors");
}
TEST(MoeGolden, MixtralFromHuggingFace) {
  check_model("models/moe-tiny-mixtral", "golden/moe/moe-tiny-mixtral/float.safetensors");
}
TEST(MoeGolden, MixtralFromMlx4Bit) {
  check_model("golden/moe/moe-tiny-mixtral/mlx_lm_q4_g64", "golden/moe/moe-tiny-mixtral/q4_g64.safetensors");
}

TEST(MoeGolden, LoadedModelsAreMoe) {
  const Model hf = Model::load(test::shared_path("models/moe-tiny-qwen3"));
  ASSERT_EQ(hf.weights().layers.size(), 3u);
  EXPECT_TRUE(hf.weights().layers[0].moe.has_value());
  EXPECT_FALSE(hf.weights().layers[1].moe.has_value());  // mlp_only_layers: [1]
  EXPECT_FALSE(hf.is_quantized());
  const Model mlx = Model::load(test::shared_path("golden/moe/moe-tiny-qwen3/mlx_lm_q4_g64"));
  EXPECT_TRUE(mlx.is_quantized());
  EXPECT_EQ(mlx.weights().layers[0].moe->router.format().bits, 8);  // the qwen3_moe predicate's router
  EXPECT_EQ(mlx.weights().layers[0].moe->experts[3].down.format().bits, 4);
}

}  // namespace
}  // namespace swan::inference
