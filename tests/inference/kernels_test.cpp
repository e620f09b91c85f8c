// The forward pass's building blocks against hand-worked cases and straightforward loops:
// RoPE frequencies (incl. Llama 3.1's scaling, values computed by hand from transformers'
// formula), the rotate_half rotation, causal attention, RMSNorm and the banded linear layer
// over float, bf16 and quantized weights.
#include <cblas.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <cstring>
#include <random>

#include "swan/core/float_formats.h"
#include "swan/inference/attention.h"
#include "swan/inference/linear.h"
#include "swan/inference/rms_norm.h"
#include "swan/inference/rotary_embedding.h"
#include "swan/inference/vector_math.h"

namespace swan::inference {
namespace {

TEST(RopeFrequencies, DefaultIsThetaPower) {
  const auto inv = rope_inverse_frequencies(8, 10000.0, {});
  ASSERT_EQ(inv.size(), 4u);
  EXPECT_FLOAT_EQ(inv[0], 1.0f);
  EXPECT_FLOAT_EQ(inv[1], 0.1f);   // 10000^(-2/8)
  EXPECT_FLOAT_EQ(inv[2], 0.01f);
  EXPECT_FLOAT_EQ(inv[3], 0.001f);
}

TEST(RopeFrequencies, Llama3ScalingKeepsHighSlowsLowInterpolatesMiddle) {
  model::RopeScaling s;
  s.type = model::RopeScaling::Type::Llama3;
  s.factor = 8.0;
  s.low_freq_factor = 1.0;
  s.high_freq_factor = 4.0;
  s.original_max_position_embeddings = 8192.0;
  const auto inv = rope_inverse_frequencies(128, 500000.0, s);
  // By hand: wavelength 2*pi/inv_freq against 8192/4 = 2048 and 8192/1.
  EXPECT_NEAR(inv[20], 0.016560440080994446, 1e-8);     // wavelength 379: kept
  EXPECT_NEAR(inv[30], 0.0013718935677611381, 2e-9);    // 2948: interpolated
  EXPECT_NEAR(inv[34], 0.00017850781276799638, 5e-10);  // 6695: interpolated
  EXPECT_NEAR(inv[40], 3.428102195952591e-05, 1e-10);   // 22911: divided by 8
  model::RopeScaling linear;
  linear.type = model::RopeScaling::Type::Linear;
  linear.factor = 4.0;
  EXPECT_FLOAT_EQ(rope_inverse_frequencies(8, 10000.0, linear)[1], 0.025f);
}

TEST(Rope, RotatesPairsHalfAHeadApart) {
  const std::vector<float> inv{1.0f, 0.5f};  // head_dim 4
  const RopeTable table = make_rope_table(inv, 2);
  // token 0 is unchanged (angle 0); token 1: pair (x0, x2) by 1 rad, pair (x1, x3) by 0.5 rad.
  std::vector<float> x{1, 2, 3, 4, 1, 0, 0, 1};
  apply_rope(table, x, 2, 1);
  EXPECT_FLOAT_EQ(x[0], 1);
  EXPECT_FLOAT_EQ(x[3], 4);
  EXPECT_NEAR(x[4], std::cos(1.0), 1e-6);
  EXPECT_NEAR(x[6], std::sin(1.0), 1e-6);
  EXPECT_NEAR(x[5], -std::sin(0.5), 1e-6);
  EXPECT_NEAR(x[7], std::cos(0.5), 1e-6);
}

TEST(Attention, HandWorkedTwoTokens) {
  // One head, head_dim 2: token 0 sees only itself; token 1 weighs both by softmax(q1.k / sqrt 2).
  const std::vector<float> q{1, 0, 0, 2};
  const std::vector<float> k{1, 0, 0, 1};
  const std::vector<float> v{10, 20, 30, 40};
  std::vector<float> out(4);
  causal_attention({2, 1, 1, 2}, q, k, v, out);
  EXPECT_FLOAT_EQ(out[0], 10);
  EXPECT_FLOAT_EQ(out[1], 20);
  const double w1 = std::exp(2 / std::sqrt(2.0)) / (1 + std::exp(2 / std::sqrt(2.0)));  // score(k1) = 2/sqrt2, score(k0) = 0
  EXPECT_NEAR(out[2], 10 * (1 - w1) + 30 * w1, 1e-4);
  EXPECT_NEAR(out[3], 20 * (1 - w1) + 40 * w1, 1e-4);
}

TEST(Attention, BlockedGqaMatchesStraightLoops) {
  // 300 tokens: five query blocks, the last one partial (and enough work for the parallel
  // path); 4 query heads on 2 kv heads.
  const std::size_t n = 300, heads = 4, kv_heads = 2, d = 16;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(n * heads * d), k(n * kv_heads * d), v(n * kv_heads * d), out(n * heads * d);
  for (auto* t : {&q, &k, &v})
    for (float& x : *t) x = normal(rng);
  causal_attention({n, heads, kv_heads, d}, q, k, v, out);
  double worst = 0.0;
  for (std::size_t h = 0; h < heads; ++h)
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t g = h / 2;
      std::vector<double> w(i + 1);
      double total = 0.0, top = -1e300;
      for (std::size_t j = 0; j <= i; ++j) {
        double s = 0.0;
        for (std::size_t c = 0; c < d; ++c) s += double(q[(i * heads + h) * d + c]) * k[(j * kv_heads + g) * d + c];
        w[j] = s / 4.0;
        top = std::max(top, w[j]);
      }
      for (double& x : w) total += (x = std::exp(x - top));
      for (std::size_t c = 0; c < d; ++c) {
        double y = 0.0;
        for (std::size_t j = 0; j <= i; ++j) y += w[j] / total * v[(j * kv_heads + g) * d + c];
        worst = std::max(worst, std::abs(y - out[(i * heads + h) * d + c]));
      }
    }
  EXPECT_LT(worst, 1e-5);
}

TEST(RmsNorm, HandWorked) {
  const std::vector<float> x{3, 4, 0, 0};  // mean square 25/4 -> rms 2.5
  const std::vector<float> w{1, 2, 1, 1};
  std::vector<float> y(4);
  rms_norm(x, w, 0.0f, y);
  EXPECT_FLOAT_EQ(y[0], 1.2f);
  EXPECT_FLOAT_EQ(y[1], 3.2f);
  EXPECT_FLOAT_EQ(y[2], 0.0f);
}

class LinearTest : public ::testing::Test {
 protected:
  // 200 x 128 weight (several bands, the last partial), 37 tokens.
  static constexpr std::size_t rows = 200, cols = 128, tokens = 37;
  void SetUp() override {
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    weights.resize(rows * cols);
    for (float& w : weights) w = bf16_to_float(float_to_bf16(normal(rng)));  // exact in bf16
    x.resize(tokens * cols);
    for (float& v : x) v = normal(rng);
    bias.resize(rows);
    for (float& b : bias) b = normal(rng);
  }
  // y = x W^T + b with W given as float32 rows.
  std::vector<float> naive(const std::vector<float>& w, bool with_bias) const {
    std::vector<float> y(tokens * rows);
    for (std::size_t t = 0; t < tokens; ++t)
      for (std::size_t r = 0; r < rows; ++r) {
        double s = with_bias ? bias[r] : 0.0;
        for (std::size_t c = 0; c < cols; ++c) s += double(x[t * cols + c]) * w[r * cols + c];
        y[t * rows + r] = static_cast<float>(s);
      }
    return y;
  }
  static double max_diff(const std::vector<float>& a, const std::vector<float>& b) {
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - b[i]));
    return m;
  }
  std::vector<float> weights, x, bias;
};

TEST_F(LinearTest, FloatBf16AndF16WeightsMatchStraightLoops) {
  std::vector<std::byte> f32(weights.size() * 4), bf16(weights.size() * 2), f16(weights.size() * 2);
  std::memcpy(f32.data(), weights.data(), f32.size());
  convert_from_float(weights, DType::BF16, bf16);
  convert_from_float(weights, DType::F16, f16);  // exact except for the few |w| < 6e-5
  const auto expected = naive(weights, true);
  for (const auto& [dtype, bytes] :
       {std::pair{DType::F32, &f32}, std::pair{DType::BF16, &bf16}, std::pair{DType::F16, &f16}}) {
    const WeightMatrix w = WeightMatrix::dense("w", dtype, *bytes, rows, cols);
    std::vector<float> y(tokens * rows);
    linear(w, x, tokens, y, bias);
    EXPECT_LT(max_diff(y, expected), 1e-4) << dtype_name(dtype);
  }
}

TEST_F(LinearTest, QuantizedWeightsMatchTheirDequantizedMatrix) {
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    const quant::AffineFormat format{bits, 64};
    const std::size_t words = quant::packed_words_per_row(cols, bits), groups = cols / 64;
    std::vector<std::uint32_t> packed(rows * words);
    std::vector<float> scales(rows * groups), biases(rows * groups), dequantized(rows * cols);
    quant::quantize_affine(weights, rows, cols, format, DType::BF16, packed, scales, biases);
    quant::dequantize_affine(packed, scales, biases, rows, cols, format, dequantized);
    // Stored like a file: packed bytes at an odd offset (MLX does not align), bf16 scales.
    std::vector<std::byte> packed_bytes(packed.size() * 4 + 1), scale_bytes(scales.size() * 2),
        bias_bytes(biases.size() * 2);
    std::memcpy(packed_bytes.data() + 1, packed.data(), packed.size() * 4);
    convert_from_float(scales, DType::BF16, scale_bytes);
    convert_from_float(biases, DType::BF16, bias_bytes);
    const WeightMatrix w = WeightMatrix::affine("w", std::span(packed_bytes).subspan(1), DType::BF16, scale_bytes,
                                                bias_bytes, rows, cols, format);
    std::vector<float> y(tokens * rows);
    linear(w, x, tokens, y);
    EXPECT_LT(max_diff(y, naive(dequantized, false)), 1e-4) << bits << " bits";
    std::vector<float> row(cols);
    w.read_rows(17, 18, row);
    EXPECT_EQ(0, std::memcmp(row.data(), dequantized.data() + 17 * cols, cols * 4)) << bits << " bits";
  }
}

}  // namespace
}  // namespace swan::inference

namespace swan::inference {
namespace {

TEST(FastExp, WithinTwoUlpOfLibmOverTheUsedRange) {
  double worst_ulp = 0.0;
  for (float x = -87.0f; x <= 88.0f; x += 0.000731f) {
    const float expected = std::exp(x);
    const float ulp = std::nextafter(expected, INFINITY) - expected;
    worst_ulp = std::max(worst_ulp, std::abs(static_cast<double>(fast_exp(x)) - expected) / ulp);
  }
  EXPECT_LE(worst_ulp, 2.0);
  EXPECT_EQ(fast_exp(0.0f), 1.0f);
  EXPECT_GT(fast_exp(-1000.0f), 0.0f);  // clamped, never NaN or a denormal trap
  EXPECT_LT(fast_exp(-1000.0f), 1e-37f);
}

}  // namespace
}  // namespace swan::inference

namespace swan::inference {
namespace {

TEST(FastExpDouble, WithinTwoUlpOfLibmOverTheUsedRange) {
  double worst_ulp = 0.0;
  for (double x = -708.0; x <= 709.0; x += 0.000913) {
    const double expected = std::exp(x);
    const double ulp = std::nextafter(expected, INFINITY) - expected;
    worst_ulp = std::max(worst_ulp, std::abs(fast_exp(x) - expected) / ulp);
  }
  EXPECT_LE(worst_ulp, 2.0);
  EXPECT_EQ(fast_exp(0.0), 1.0);
  const double minus_infinity = -std::numeric_limits<double>::infinity();
  EXPECT_GT(fast_exp(minus_infinity), 0.0);  // clamped to exp(-708): callers test for -inf themselves
  EXPECT_LT(fast_exp(minus_infinity), 1e-307);
}

}  // namespace
}  // namespace swan::inference

namespace swan::inference {
namespace {

TEST(ClampOrdered, EqualsStdClampAcrossSignsZerosInfinitiesAndSubnormals) {
  const float inf = std::numeric_limits<float>::infinity();
  for (float x : {-inf, -1e30f, -88.0f, -87.0f, -86.99f, -1.0f, -1e-40f, -0.0f, 0.0f, 1e-40f, 3.5f, 88.0f, 88.01f, inf})
    EXPECT_EQ(clamp_ordered(x, -87.0f, 88.0f), std::clamp(x, -87.0f, 88.0f)) << x;
  const double dinf = std::numeric_limits<double>::infinity();
  for (double x : {-dinf, -709.0, -708.0, -707.5, -1e-310, -0.0, 0.0, 1e-310, 2.0, 709.0, 710.0, dinf})
    EXPECT_EQ(clamp_ordered(x, -708.0, 709.0), std::clamp(x, -708.0, 709.0)) << x;
}

// Guards held at the same time count as one: OpenBLAS stays single-threaded until the last
// ends, whichever order they end in, and then gets back what it had before the first.
TEST(SingleThreadedBlas, OverlappingGuardsRestoreOnlyWhenTheLastEnds) {
  const int before = openblas_get_num_threads();
  openblas_set_num_threads(2);
  {
    auto first = std::make_unique<SingleThreadedBlas>();
    EXPECT_EQ(openblas_get_num_threads(), 1);
    auto second = std::make_unique<SingleThreadedBlas>();
    first.reset();  // the first to start ends first, as a concurrent pass may
    EXPECT_EQ(openblas_get_num_threads(), 1);
    second.reset();
  }
  EXPECT_EQ(openblas_get_num_threads(), 2);
  openblas_set_num_threads(before);
}

}  // namespace
}  // namespace swan::inference
