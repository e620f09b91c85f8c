// Optimized scales with column weights (affine_optimized.h): the fast weighted kernel
// against the reference bit for bit on every format, dtype and thread count; all-ones
// weights give exactly the unweighted result; the weighted error, recomputed in float64,
// never exceeds min/max's; a heavily weighted column is reconstructed better than without
// weights; bad weights are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_optimized.h"
#include "swan/quant/scale_method.h"

namespace swan::quant {
namespace {

struct Quantized {
  std::vector<std::uint32_t> packed;
  std::vector<float> scales, biases;

  bool operator==(const Quantized& other) const {
    return packed == other.packed &&
           std::memcmp(scales.data(), other.scales.data(), scales.size() * sizeof(float)) == 0 &&
           std::memcmp(biases.data(), other.biases.data(), biases.size() * sizeof(float)) == 0;
  }
};

Quantized empty_result(std::size_t rows, std::size_t cols, AffineFormat format) {
  Quantized q;
  q.packed.assign(rows * packed_words_per_row(cols, format.bits), 0x5a5a5a5au);
  q.scales.assign(rows * groups_per_row(cols, format.group_size), 0.0f);
  q.biases.assign(q.scales.size(), 0.0f);
  return q;
}

Quantized reference(const std::vector<float>& w, std::size_t rows, std::size_t cols, AffineFormat format, DType dtype,
                    const std::vector<float>& column_weights) {
  Quantized q = empty_result(rows, cols, format);
  quantize_affine_optimized_reference(w, rows, cols, format, dtype, column_weights, q.packed, q.scales, q.biases);
  return q;
}

Quantized fast(const std::vector<float>& w, std::size_t rows, std::size_t cols, AffineFormat format, DType dtype,
               const std::vector<float>& column_weights, ScaleMethod method = ScaleMethod::optimized,
               int threads = 1) {
  Quantized q = empty_result(rows, cols, format);
  quantize_affine(w, rows, cols, format, dtype, q.packed, q.scales, q.biases, threads, method, column_weights);
  return q;
}

std::vector<float> dequantized(const Quantized& q, std::size_t rows, std::size_t cols, AffineFormat format) {
  std::vector<float> out(rows * cols);
  dequantize_affine_reference(q.packed, q.scales, q.biases, rows, cols, format, out);
  return out;
}

float round_to(DType dtype, float x) {
  if (dtype == DType::F16) return fp16_to_float(float_to_fp16(x));
  if (dtype == DType::BF16) return bf16_to_float(float_to_bf16(x));
  return x;
}

// Laplace-like weights with a few outlier columns and an occasional constant or zero group.
std::vector<float> model_like_weights(std::size_t rows, std::size_t cols, int group_size, DType dtype,
                                      std::mt19937& rng) {
  std::exponential_distribution<float> magnitude(1.0f);
  std::bernoulli_distribution negative(0.5), outlier(0.02), special(0.05);
  std::vector<float> column_scale(cols);
  for (float& s : column_scale) s = outlier(rng) ? 0.2f : 0.02f;
  std::vector<float> w(rows * cols);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float x = magnitude(rng) * column_scale[i % cols];
    w[i] = round_to(dtype, negative(rng) ? -x : x);
  }
  for (std::size_t g = 0; g < w.size(); g += static_cast<std::size_t>(group_size))
    if (special(rng))
      for (int j = 0; j < group_size; ++j) w[g + static_cast<std::size_t>(j)] = (g / group_size) % 2 ? 0.0f : 0.5f;
  return w;
}

// Norm-weight-like importances: gamma^2 with gamma spread around 1, some columns far above.
std::vector<float> column_weights(std::size_t cols, std::mt19937& rng) {
  std::lognormal_distribution<float> gamma(0.0f, 0.4f);
  std::bernoulli_distribution big(0.03);
  std::vector<float> w(cols);
  for (float& v : w) {
    const float g = gamma(rng) * (big(rng) ? 8.0f : 1.0f);
    v = g * g;
  }
  return w;
}

constexpr int kAllBits[] = {2, 3, 4, 5, 6, 8};
constexpr int kAllGroupSizes[] = {32, 64, 128};
constexpr DType kScaleDtypes[] = {DType::BF16, DType::F16, DType::F32};

TEST(WeightedOptimizedScales, FastKernelEqualsReferenceForEveryFormatDtypeAndThreadCount) {
  std::mt19937 rng(191);
  for (const int bits : kAllBits) {
    for (const int group_size : kAllGroupSizes) {
      for (const DType dtype : kScaleDtypes) {
        const AffineFormat format{bits, group_size};
        const std::size_t rows = 24, cols = static_cast<std::size_t>(group_size) * 4;
        const auto w = model_like_weights(rows, cols, group_size, dtype, rng);
        const auto cw = column_weights(cols, rng);
        const Quantized expected = reference(w, rows, cols, format, dtype, cw);
        for (const int threads : {1, 2, 3}) {
          EXPECT_TRUE(fast(w, rows, cols, format, dtype, cw, ScaleMethod::optimized, threads) == expected)
              << "bits=" << bits << " gs=" << group_size << " " << dtype_name(dtype) << " threads=" << threads;
        }
      }
    }
  }
}

// Weights of one make every weighted term equal the unweighted one, so the result is the
// unweighted function's, bit for bit (reference and fast kernel).
TEST(WeightedOptimizedScales, AllOnesEqualsUnweighted) {
  std::mt19937 rng(192);
  for (const int bits : {2, 3, 4}) {
    const AffineFormat format{bits, 64};
    const std::size_t rows = 16, cols = 256;
    const auto w = model_like_weights(rows, cols, 64, DType::BF16, rng);
    const std::vector<float> ones(cols, 1.0f);
    const Quantized unweighted = fast(w, rows, cols, format, DType::BF16, {});
    EXPECT_TRUE(fast(w, rows, cols, format, DType::BF16, ones) == unweighted) << "bits=" << bits;
    EXPECT_TRUE(reference(w, rows, cols, format, DType::BF16, ones) == unweighted) << "bits=" << bits;
    EXPECT_TRUE(reference(w, rows, cols, format, DType::BF16, {}) == unweighted) << "bits=" << bits;
  }
}

// min/max has no weights: they change nothing.
TEST(WeightedOptimizedScales, MinMaxIgnoresWeights) {
  std::mt19937 rng(193);
  const AffineFormat format{4, 64};
  const auto w = model_like_weights(8, 256, 64, DType::BF16, rng);
  EXPECT_TRUE(fast(w, 8, 256, format, DType::BF16, column_weights(256, rng), ScaleMethod::minmax) ==
              fast(w, 8, 256, format, DType::BF16, {}, ScaleMethod::minmax));
}

double weighted_error(const std::vector<float>& x, const std::vector<float>& x_hat, const std::vector<float>& cw,
                      std::size_t cols, std::size_t first, std::size_t count) {
  double e = 0.0;
  for (std::size_t i = first; i < first + count; ++i) {
    const double d = static_cast<double>(x_hat[i]) - x[i];
    e += cw[i % cols] * d * d;
  }
  return e;
}

// Per group, the weighted squared error (float64) never exceeds min/max's, and weighting
// lowers it against the unweighted search in most groups with uneven weights.
TEST(WeightedOptimizedScales, NeverAHigherWeightedErrorThanMinMaxAndLowerThanUnweighted) {
  std::mt19937 rng(194);
  int lower = 0, higher = 0;
  for (const int bits : {2, 3, 4, 6}) {
    const AffineFormat format{bits, 64};
    const std::size_t rows = 32, cols = 512;
    const auto w = model_like_weights(rows, cols, 64, DType::BF16, rng);
    const auto cw = column_weights(cols, rng);
    const auto weighted = dequantized(fast(w, rows, cols, format, DType::BF16, cw), rows, cols, format);
    const auto plain = dequantized(fast(w, rows, cols, format, DType::BF16, {}), rows, cols, format);
    const auto minmax =
        dequantized(fast(w, rows, cols, format, DType::BF16, {}, ScaleMethod::minmax), rows, cols, format);
    for (std::size_t g = 0; g < w.size(); g += 64) {
      const double e_weighted = weighted_error(w, weighted, cw, cols, g, 64);
      const double e_plain = weighted_error(w, plain, cw, cols, g, 64);
      EXPECT_LE(e_weighted, weighted_error(w, minmax, cw, cols, g, 64) * (1.0 + 1e-5) + 1e-30)
          << "bits=" << bits << " group " << g;
      lower += e_weighted < e_plain * (1.0 - 1e-4);
      higher += e_weighted > e_plain * (1.0 + 1e-4);
    }
  }
  EXPECT_GT(lower, 3 * higher);  // a search over the weighted objective, not the plain one
}

// One column weighted 10^4 times the rest: its error falls well below the unweighted
// search's on Gaussian 2-bit groups, where the unweighted fit ignores any single element.
TEST(WeightedOptimizedScales, AHeavilyWeightedColumnIsReconstructedBetter) {
  std::mt19937 rng(195);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  const std::size_t rows = 256, cols = 64;
  std::vector<float> w(rows * cols);
  for (float& x : w) x = round_to(DType::BF16, normal(rng));
  std::vector<float> cw(cols, 1.0f);
  cw[5] = 10000.0f;
  const AffineFormat format{2, 64};
  const auto weighted = dequantized(fast(w, rows, cols, format, DType::BF16, cw), rows, cols, format);
  const auto plain = dequantized(fast(w, rows, cols, format, DType::BF16, {}), rows, cols, format);
  double e_weighted = 0.0, e_plain = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t i = r * cols + 5;
    e_weighted += (weighted[i] - w[i]) * (weighted[i] - w[i]);
    e_plain += (plain[i] - w[i]) * (plain[i] - w[i]);
  }
  EXPECT_LT(e_weighted, 0.25 * e_plain);
}

TEST(WeightedOptimizedScales, RejectsBadWeights) {
  std::vector<float> w(96, 1.0f), scales(3), biases(3);
  std::vector<std::uint32_t> packed(12);
  const AffineFormat format{4, 32};
  for (const float bad : {0.0f, -1.0f, NAN, INFINITY, 2e6f}) {
    std::vector<float> cw(96, 1.0f);
    cw[7] = bad;
    EXPECT_THROW(quantize_affine(w, 1, 96, format, DType::BF16, packed, scales, biases, 1, ScaleMethod::optimized, cw),
                 Error)
        << bad;
    EXPECT_THROW(quantize_affine_optimized_reference(w, 1, 96, format, DType::BF16, cw, packed, scales, biases), Error)
        << bad;
  }
  const std::vector<float> short_weights(95, 1.0f);
  EXPECT_THROW(
      quantize_affine(w, 1, 96, format, DType::BF16, packed, scales, biases, 1, ScaleMethod::optimized, short_weights),
      Error);
}

}  // namespace
}  // namespace swan::quant
