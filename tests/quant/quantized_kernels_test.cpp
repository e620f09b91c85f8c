// The kernels that work from quantized weights (fused matmul, quantization_sse) against
// "dequantize with the reference, then plain double-precision math", and first_non_finite.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "swan/core/error.h"
#include "swan/quant/affine.h"
#include "swan/quant/finite.h"
#include "swan/quant/quantization_error.h"
#include "swan/quant/quantized_matmul.h"

namespace swan::quant {
namespace {

struct Fixture {
  std::size_t rows, cols;
  AffineFormat format;
  std::vector<float> weights;
  std::vector<std::uint32_t> packed;
  std::vector<float> scales, biases, dequantized;

  QuantizedMatrix matrix() const { return {packed, scales, biases, rows, cols, format}; }
};

Fixture make_fixture(std::size_t rows, std::size_t cols, AffineFormat format, std::mt19937& rng) {
  Fixture f{rows, cols, format, {}, {}, {}, {}, {}};
  std::normal_distribution<float> normal(0.0f, 0.05f);
  f.weights.resize(rows * cols);
  for (float& w : f.weights) w = normal(rng);
  f.packed.resize(rows * packed_words_per_row(cols, format.bits));
  f.scales.resize(rows * groups_per_row(cols, format.group_size));
  f.biases.resize(f.scales.size());
  quantize_affine_reference(f.weights, rows, cols, format, DType::BF16, f.packed, f.scales, f.biases);
  f.dequantized.resize(rows * cols);
  dequantize_affine_reference(f.packed, f.scales, f.biases, rows, cols, format, f.dequantized);
  return f;
}

TEST(QuantizedMatmul, MatchesDequantizeThenDot) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    for (const int group_size : {32, 64, 128}) {
      const Fixture f = make_fixture(23, static_cast<std::size_t>(group_size) * 6, {bits, group_size}, rng);
      for (const std::size_t tokens : {std::size_t{1}, std::size_t{3}, std::size_t{6}}) {
        std::vector<float> x(tokens * f.cols), y(tokens * f.rows);
        for (float& v : x) v = normal(rng);
        quantized_matmul(f.matrix(), x, tokens, y);
        for (std::size_t t = 0; t < tokens; ++t) {
          for (std::size_t r = 0; r < f.rows; ++r) {
            double exact = 0.0, magnitude = 0.0;
            for (std::size_t k = 0; k < f.cols; ++k) {
              const double term = static_cast<double>(x[t * f.cols + k]) * f.dequantized[r * f.cols + k];
              exact += term;
              magnitude += std::fabs(term);
            }
            EXPECT_LE(std::fabs(y[t * f.rows + r] - exact), 1e-5 * magnitude)
                << "bits=" << bits << " gs=" << group_size << " t=" << t << " r=" << r;
          }
          // The single-row kernel sums in the same order as the matmul.
          const float dot = quantized_row_dot(f.matrix(), 7, std::span(x).subspan(t * f.cols, f.cols));
          EXPECT_EQ(dot, y[t * f.rows + 7]);
        }
      }
    }
  }
}

TEST(QuantizedMatmul, IndependentOfThreadsAndBatch) {
  std::mt19937 rng(12);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const Fixture f = make_fixture(64, 512, {4, 64}, rng);
  const std::size_t tokens = 7;
  std::vector<float> x(tokens * f.cols);
  for (float& v : x) v = normal(rng);
  std::vector<float> y1(tokens * f.rows), y2(y1.size()), y4(y1.size());
  quantized_matmul(f.matrix(), x, tokens, y1, 1);
  quantized_matmul(f.matrix(), x, tokens, y2, 2);
  quantized_matmul(f.matrix(), x, tokens, y4, 4);
  EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * 4), 0);
  EXPECT_EQ(std::memcmp(y1.data(), y4.data(), y1.size() * 4), 0);
  // Token 5 alone gives the same bits as token 5 inside the batch of 7.
  std::vector<float> alone(f.rows);
  quantized_matmul(f.matrix(), std::span(x).subspan(5 * f.cols, f.cols), 1, alone, 1);
  EXPECT_EQ(std::memcmp(alone.data(), y1.data() + 5 * f.rows, f.rows * 4), 0);
}

TEST(QuantizedMatmul, RejectsMismatchedShapes) {
  std::mt19937 rng(13);
  const Fixture f = make_fixture(4, 128, {4, 64}, rng);
  std::vector<float> x(2 * 128), y(2 * 4), short_y(7);
  EXPECT_THROW(quantized_matmul(f.matrix(), x, 3, y), Error);
  EXPECT_THROW(quantized_matmul(f.matrix(), x, 2, short_y), Error);
  QuantizedMatrix wrong = f.matrix();
  wrong.format.bits = 3;
  EXPECT_THROW(quantized_matmul(wrong, x, 2, y), Error);
  EXPECT_THROW(quantized_row_dot(f.matrix(), 4, std::span(x).first(128)), Error);
}

TEST(QuantizationSse, EqualsQuantizeDequantizeAndSum) {
  std::mt19937 rng(21);
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    for (const int group_size : {32, 64, 128}) {
      for (const DType dtype : {DType::F16, DType::BF16}) {
        const std::size_t rows = 9, cols = static_cast<std::size_t>(group_size) * 3;
        Fixture f = make_fixture(rows, cols, {bits, group_size}, rng);
        quantize_affine_reference(f.weights, rows, cols, f.format, dtype, f.packed, f.scales, f.biases);
        dequantize_affine_reference(f.packed, f.scales, f.biases, rows, cols, f.format, f.dequantized);
        double expected = 0.0;
        for (std::size_t r = 0; r < rows; ++r) {  // per-row sums added in row order
          double row = 0.0;
          for (std::size_t k = 0; k < cols; ++k) {
            const double e = static_cast<double>(f.weights[r * cols + k]) - f.dequantized[r * cols + k];
            row += e * e;
          }
          expected += row;
        }
        EXPECT_GT(expected, 0.0);
        for (const int threads : {1, 2, 4}) {
          EXPECT_EQ(quantization_sse(f.weights, rows, cols, f.format, dtype, threads), expected)
              << "bits=" << bits << " gs=" << group_size << " " << dtype_name(dtype) << " threads=" << threads;
        }
      }
    }
  }
}

TEST(QuantizationSse, ShrinksWithMoreBits) {
  std::mt19937 rng(22);
  const Fixture f = make_fixture(16, 256, {4, 64}, rng);
  double previous = std::numeric_limits<double>::infinity();
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    const double sse = quantization_sse(f.weights, 16, 256, {bits, 64}, DType::BF16);
    EXPECT_LT(sse, previous) << bits;
    previous = sse;
  }
}

TEST(FirstNonFinite, FindsFirstNanOrInf) {
  std::vector<float> v(5000, 1.0f);
  EXPECT_EQ(first_non_finite(v), std::nullopt);
  EXPECT_EQ(first_non_finite(std::span<const float>()), std::nullopt);
  v[4321] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(first_non_finite(v), std::optional<std::size_t>(4321));
  v[3000] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(first_non_finite(v), std::optional<std::size_t>(3000));
  v[17] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(first_non_finite(v), std::optional<std::size_t>(17));
  // The largest finite values and subnormals are finite.
  std::vector<float> edge{std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                          std::numeric_limits<float>::denorm_min(), -0.0f};
  EXPECT_EQ(first_non_finite(edge), std::nullopt);
}

}  // namespace
}  // namespace swan::quant
