// Inference from MLX affine-quantized directories: qwen3-tiny quantized here with
// quant::quantize_affine (8/4/2 bits, per-module overrides), and the two directories mlx_lm
// itself produced (shared/golden/mlx_lm: Qwen2 with q/k/v biases and a tied quantized
// embedding; Qwen3 untied with mixed 3/6-bit overrides).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "inference/quantized_fixture.h"
#include "support/fixtures.h"
#include "swan/inference/model.h"
#include "swan/inference/reference_forward.h"
#include "swan/core/error.h"
#include "swan/io/safetensors.h"

namespace swan::inference {
namespace {

struct Difference {
  double rms = 0.0;
  double max_abs = 0.0;
  double top1_agreement = 0.0;
};

Difference compare(const std::vector<float>& actual, const std::vector<float>& expected, std::size_t vocab) {
  EXPECT_EQ(actual.size(), expected.size());
  Difference d;
  double squares = 0.0;
  std::size_t agree = 0;
  const std::size_t rows = expected.size() / vocab;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double diff = static_cast<double>(actual[i]) - expected[i];
    squares += diff * diff;
    d.max_abs = std::max(d.max_abs, std::abs(diff));
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const auto a = std::max_element(actual.begin() + r * vocab, actual.begin() + (r + 1) * vocab) - actual.begin();
    const auto e = std::max_element(expected.begin() + r * vocab, expected.begin() + (r + 1) * vocab) - expected.begin();
    agree += a == e;
  }
  d.rms = std::sqrt(squares / static_cast<double>(expected.size()));
  d.top1_agreement = static_cast<double>(agree) / static_cast<double>(rows);
  return d;
}

// The three golden texts back to back (64 tokens of real text).
std::vector<std::int32_t> golden_tokens() {
  const SafetensorsFile golden(test::shared_path("golden/qwen3-tiny-5.8m/logits.safetensors"));
  std::vector<std::int32_t> tokens;
  for (int text = 0; text < 3; ++text) {
    const TensorInfo& info = golden.at(fmt::format("text{}.ids", text));
    const auto bytes = golden.data(info);
    const std::size_t old = tokens.size();
    tokens.resize(old + bytes.size() / 4);
    std::memcpy(tokens.data() + old, bytes.data(), bytes.size());
  }
  return tokens;
}

TEST(QuantizedQwen3Tiny, ErrorShrinksWithBitsAndEightBitsStaysClose) {
  const auto source = test::shared_path("models/qwen3-tiny-5.8m");
  const Model float_model = Model::load(source);
  const auto tokens = golden_tokens();
  const auto expected = float_model.forward(tokens);
  const std::size_t vocab = float_model.vocab_size();

  std::vector<Difference> errors;
  for (const int bits : {8, 4, 2}) {
    test::ScratchDir scratch;
    test::write_quantized_copy(source, scratch.path(), {bits, 64});
    const Model quantized = Model::load(scratch.path());
    ASSERT_TRUE(quantized.is_quantized());
    EXPECT_TRUE(quantized.weights().embed_tokens.is_quantized());  // tied head runs through it
    EXPECT_EQ(quantized.weights().layers[3].down.format().bits, bits);
    const Difference d = compare(quantized.forward(tokens), expected, vocab);
    std::printf("%d-bit g64: logits rms diff %.4f, max %.4f, top-1 agreement %.3f\n", bits, d.rms, d.max_abs,
                d.top1_agreement);
    errors.push_back(d);
  }
  // 8-bit affine quantization of bf16 weights changes logits (O(10)) by a few hundredths.
  EXPECT_LT(errors[0].rms, 0.05);
  EXPECT_LT(errors[0].max_abs, 0.5);
  EXPECT_GE(errors[0].top1_agreement, 0.95);
  EXPECT_LT(errors[0].rms, errors[1].rms);
  EXPECT_LT(errors[1].rms, errors[2].rms);
  EXPECT_GT(errors[1].top1_agreement, errors[2].top1_agreement);
}

TEST(QuantizedQwen3Tiny, PerModuleOverridesAreHonouredAndMatchTheReferenceForward) {
  const auto source = test::shared_path("models/qwen3-tiny-5.8m");
  test::ScratchDir scratch;
  test::write_quantized_copy(source, scratch.path(), {4, 64},
                             {{"model.layers.0.self_attn.q_proj", std::nullopt},
                              {"model.layers.1.mlp.down_proj", quant::AffineFormat{8, 32}},
                              {"model.embed_tokens", quant::AffineFormat{6, 128}}});
  const Model model = Model::load(scratch.path());
  const auto& layers = model.weights().layers;
  EXPECT_FALSE(layers[0].q.is_quantized());
  EXPECT_EQ(layers[0].k.format().bits, 4);
  EXPECT_EQ(layers[1].down.format().bits, 8);
  EXPECT_EQ(layers[1].down.format().group_size, 32);
  EXPECT_EQ(model.weights().embed_tokens.format().bits, 6);
  EXPECT_EQ(model.weights().embed_tokens.format().group_size, 128);

  // Same weights, straight loops: checks the banded dequantize + sgemm path and attention.
  const auto tokens = golden_tokens();
  const Difference d = compare(model.forward(tokens), reference_forward(model.config(), model.weights(), tokens),
                               model.vocab_size());
  EXPECT_LT(d.max_abs, 2e-4);
  EXPECT_EQ(d.top1_agreement, 1.0);
}

TEST(QuantizedQwen3Tiny, WrongBitsInConfigIsReportedWithTheTensorName) {
  const auto source = test::shared_path("models/qwen3-tiny-5.8m");
  test::ScratchDir scratch;
  test::write_quantized_copy(source, scratch.path(), {4, 64});
  auto config = read_json_file(scratch / "config.json");
  config["quantization"]["bits"] = 8;
  std::ofstream(scratch / "config.json") << config.dump();
  try {
    Model::load(scratch.path());
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("model.embed_tokens.weight"), std::string::npos) << error.what();
  }
}

// Directories written by mlx_lm itself, next to the bf16 source they came from (random
// weights, so only closeness to the float model is meaningful).
struct MlxLmCase {
  const char* name;
  double max_relative_rms;  // random N(0, 0.02) weights: ~10% noise per 4-bit matrix, ~20% per 3-bit one
};
void PrintTo(const MlxLmCase& c, std::ostream* out) { *out << c.name; }
class MlxLmOutput : public ::testing::TestWithParam<MlxLmCase> {};

TEST_P(MlxLmOutput, LoadsAndStaysCloseToTheFloatSource) {
  const auto base = test::shared_path(std::string("golden/mlx_lm/") + GetParam().name);
  const Model source = Model::load(base / "hf_source");
  const Model converted = Model::load(base / "mlx_lm_output");
  ASSERT_TRUE(converted.is_quantized());
  std::vector<std::int32_t> tokens;
  for (int i = 0; i < 40; ++i) tokens.push_back((i * 53 + 7) % static_cast<int>(source.vocab_size()));
  const auto expected = source.forward(tokens);
  const auto actual = converted.forward(tokens);
  double signal = 0.0;
  for (float e : expected) signal += static_cast<double>(e) * e;
  signal = std::sqrt(signal / static_cast<double>(expected.size()));
  const Difference d = compare(actual, expected, source.vocab_size());
  std::printf("%s: logits rms %.4f, rms diff %.4f (%.1f%%)\n", GetParam().name, signal, d.rms, 100.0 * d.rms / signal);
  EXPECT_LT(d.rms, GetParam().max_relative_rms * signal);
  // And the fast path agrees with the straight-loop reference on the quantized weights.
  const Difference r = compare(actual, reference_forward(converted.config(), converted.weights(), tokens),
                               converted.vocab_size());
  EXPECT_LT(r.max_abs, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Golden, MlxLmOutput,
                         ::testing::Values(MlxLmCase{"qwen2_tied_uniform_q4g64", 0.3},
                                           MlxLmCase{"qwen3_untied_mixed_3_6_g64", 0.7}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(MlxLmOutputShapes, Qwen2KeepsBiasesAndQwen3UsesItsOwnSixBitHead) {
  const Model qwen2 = Model::load(test::shared_path("golden/mlx_lm/qwen2_tied_uniform_q4g64/mlx_lm_output"));
  EXPECT_EQ(qwen2.config().architecture, model::Architecture::Qwen2);
  EXPECT_FALSE(qwen2.weights().layers[0].q_bias.empty());
  EXPECT_TRUE(qwen2.weights().layers[0].o_bias.empty());
  EXPECT_FALSE(qwen2.weights().lm_head.has_value());
  const Model qwen3 = Model::load(test::shared_path("golden/mlx_lm/qwen3_untied_mixed_3_6_g64/mlx_lm_output"));
  ASSERT_TRUE(qwen3.weights().lm_head.has_value());
  EXPECT_EQ(qwen3.weights().lm_head->format().bits, 6);
  EXPECT_EQ(qwen3.weights().embed_tokens.format().bits, 3);
  EXPECT_EQ(qwen3.weights().layers[2].v.format().bits, 6);
  EXPECT_EQ(qwen3.weights().layers[1].v.format().bits, 3);
}

}  // namespace
}  // namespace swan::inference
