// Optimized scales (affine_optimized.h): the fast kernel against the reference bit for bit
// on every format, dtype and thread count; what the spec promises checked independently in
// float64 (never a higher error than min/max, codes nearest for the stored scale
// and bias, stored values exact in the dtype); a clear gain where theory says there must be
// one (2-bit Gaussian groups); quantization_sse on the optimized result.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_optimized.h"
#include "swan/quant/quantization_error.h"
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

enum class Kernel { minmax, optimized_reference, optimized_fast };

Quantized quantize(const std::vector<float>& w, std::size_t rows, std::size_t cols, AffineFormat format, DType dtype,
                   Kernel kernel, int threads = 1) {
  Quantized q;
  q.packed.assign(rows * packed_words_per_row(cols, format.bits), 0x5a5a5a5au);
  q.scales.assign(rows * groups_per_row(cols, format.group_size), 0.0f);
  q.biases.assign(q.scales.size(), 0.0f);
  if (kernel == Kernel::minmax) {
    quantize_affine_reference(w, rows, cols, format, dtype, q.packed, q.scales, q.biases);
  } else if (kernel == Kernel::optimized_reference) {
    quantize_affine_optimized_reference(w, rows, cols, format, dtype, q.packed, q.scales, q.biases);
  } else {
    quantize_affine(w, rows, cols, format, dtype, q.packed, q.scales, q.biases, threads, ScaleMethod::optimized);
  }
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

// Groups with the shapes of trouble: normal, heavy tails, one outlier, constant, all
// negative, all zero, half-integer ties, tiny values; rounded to `dtype` like model weights.
std::vector<float> random_weights(std::size_t rows, std::size_t cols, int group_size, DType dtype,
                                  std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::student_t_distribution<float> heavy(3.0f);
  std::uniform_int_distribution<int> kind_of(0, 8);
  std::uniform_int_distribution<int> small_int(-20, 20);
  std::vector<float> w(rows * cols);
  for (std::size_t g = 0; g < w.size(); g += static_cast<std::size_t>(group_size)) {
    const int kind = kind_of(rng);
    const float scale = std::ldexp(1.0f, std::uniform_int_distribution<int>(-12, 4)(rng));
    const float constant = normal(rng);
    for (int j = 0; j < group_size; ++j) {
      float x = normal(rng) * scale;
      if (kind == 1 && j == 3) x = 100.0f * scale;
      if (kind == 2) x = constant;
      if (kind == 3) x = -1.0f - std::fabs(normal(rng));
      if (kind == 4) x = 0.0f;
      if (kind == 5) x = 0.5f * static_cast<float>(small_int(rng));
      if (kind == 6) x = normal(rng) * 1e-8f;
      if (kind == 7) x = heavy(rng) * scale;
      w[g + static_cast<std::size_t>(j)] = round_to(dtype, x);
    }
  }
  return w;
}

constexpr int kAllBits[] = {2, 3, 4, 5, 6, 8};
constexpr int kAllGroupSizes[] = {32, 64, 128};
constexpr DType kScaleDtypes[] = {DType::BF16, DType::F16, DType::F32};

TEST(ScaleMethod, ParsesAndNames) {
  EXPECT_EQ(parse_scale_method("minmax"), ScaleMethod::minmax);
  EXPECT_EQ(parse_scale_method("optimized"), ScaleMethod::optimized);
  EXPECT_EQ(to_string(ScaleMethod::minmax), "minmax");
  EXPECT_EQ(to_string(ScaleMethod::optimized), "optimized");
  EXPECT_THROW(parse_scale_method("hqq"), Error);
}

TEST(OptimizedScales, FastKernelEqualsReferenceForEveryFormatDtypeAndThreadCount) {
  std::mt19937 rng(91);
  for (const int bits : kAllBits) {
    for (const int group_size : kAllGroupSizes) {
      for (const DType dtype : kScaleDtypes) {
        const AffineFormat format{bits, group_size};
        const std::size_t rows = 7, cols = static_cast<std::size_t>(group_size) * 3;
        const auto w = random_weights(rows, cols, group_size, dtype, rng);
        const Quantized reference = quantize(w, rows, cols, format, dtype, Kernel::optimized_reference);
        for (const int threads : {1, 2, 3}) {
          EXPECT_TRUE(quantize(w, rows, cols, format, dtype, Kernel::optimized_fast, threads) == reference)
              << "bits=" << bits << " gs=" << group_size << " " << dtype_name(dtype) << " threads=" << threads;
        }
      }
    }
  }
}

// Many groups of model-like weights (Laplace, bf16, a few outlier columns): the fast
// kernel's batched search, branch-free selection and early-exit refits must pick the same
// candidate as the reference in thousands of groups where scores are close, not only in the
// trouble shapes above.
TEST(OptimizedScales, FastKernelEqualsReferenceOnManyModelLikeGroups) {
  std::mt19937 rng(96);
  std::exponential_distribution<float> magnitude(1.0f);
  std::bernoulli_distribution negative(0.5), outlier(0.01);
  for (const int bits : kAllBits) {
    for (const int group_size : {32, 64}) {
      const AffineFormat format{bits, group_size};
      const std::size_t rows = 64, cols = 1024;
      std::vector<float> column_scale(cols);
      for (float& s : column_scale) s = outlier(rng) ? 0.16f : 0.02f;
      std::vector<float> w(rows * cols);
      for (std::size_t i = 0; i < w.size(); ++i) {
        const float x = magnitude(rng) * column_scale[i % cols];
        w[i] = round_to(DType::BF16, negative(rng) ? -x : x);
      }
      EXPECT_TRUE(quantize(w, rows, cols, format, DType::BF16, Kernel::optimized_fast, 2) ==
                  quantize(w, rows, cols, format, DType::BF16, Kernel::optimized_reference))
          << "bits=" << bits << " gs=" << group_size;
    }
  }
}

// The spec's promise, recomputed in float64: per group, the optimized reconstruction's
// squared error never exceeds min/max's (up to the float32 rounding of the kernel's own
// comparison).
TEST(OptimizedScales, NeverAHigherErrorThanMinMaxInAnyGroup) {
  std::mt19937 rng(92);
  int improved = 0, groups_seen = 0;
  for (const int bits : kAllBits) {
    for (const int group_size : kAllGroupSizes) {
      const AffineFormat format{bits, group_size};
      const std::size_t rows = 6, cols = static_cast<std::size_t>(group_size) * 4;
      const auto w = random_weights(rows, cols, group_size, DType::BF16, rng);
      const auto optimized = dequantized(quantize(w, rows, cols, format, DType::BF16, Kernel::optimized_fast),
                                         rows, cols, format);
      const auto minmax = dequantized(quantize(w, rows, cols, format, DType::BF16, Kernel::minmax), rows, cols, format);
      for (std::size_t g = 0; g < w.size(); g += static_cast<std::size_t>(group_size)) {
        double e_opt = 0.0, e_mm = 0.0;
        for (std::size_t i = g; i < g + static_cast<std::size_t>(group_size); ++i) {
          const double x = w[i];
          e_opt += (optimized[i] - x) * (optimized[i] - x);
          e_mm += (minmax[i] - x) * (minmax[i] - x);
        }
        EXPECT_LE(e_opt, e_mm * (1.0 + 1e-5) + 1e-30) << "bits=" << bits << " gs=" << group_size << " group " << g;
        improved += e_opt < e_mm * (1.0 - 1e-3);
        ++groups_seen;
      }
    }
  }
  EXPECT_GT(improved, groups_seen / 4);  // the search does something
}

// Where the search won (the group differs from min/max, whose codes come from unrounded
// values), each code is the nearest lattice point for the scale and bias the file stores
// (brute force over all codes, reconstructing as a reader does), and the stored values are
// exact in the scale dtype.
TEST(OptimizedScales, CodesAreNearestForTheStoredScaleAndBias) {
  std::mt19937 rng(93);
  int groups_checked = 0;
  for (const int bits : kAllBits) {
    for (const DType dtype : kScaleDtypes) {
      const AffineFormat format{bits, 64};
      const std::size_t rows = 4, cols = 256;
      const auto w = random_weights(rows, cols, 64, dtype, rng);
      const Quantized q = quantize(w, rows, cols, format, dtype, Kernel::optimized_fast);
      const Quantized minmax = quantize(w, rows, cols, format, dtype, Kernel::minmax);
      const auto w_hat = dequantized(q, rows, cols, format);
      for (std::size_t g = 0; g < q.scales.size(); ++g) {
        const float scale = q.scales[g], bias = q.biases[g];
        EXPECT_EQ(round_to(dtype, scale), scale);
        EXPECT_EQ(round_to(dtype, bias), bias);
        if (scale == minmax.scales[g] && bias == minmax.biases[g]) continue;
        EXPECT_GT(scale, 0.0f);
        ++groups_checked;
        for (std::size_t i = g * 64; i < (g + 1) * 64; ++i) {
          float nearest = INFINITY;
          for (int code = 0; code < (1 << bits); ++code) {
            const float product = static_cast<float>(code) * scale;
            nearest = std::min(nearest, std::fabs((product + bias) - w[i]));
          }
          // rint((x - bias) / scale) rounds twice, so a near-tie may go either way.
          EXPECT_LE(std::fabs(w_hat[i] - w[i]), nearest + 1e-5f * scale)
              << "bits=" << bits << " " << dtype_name(dtype) << " element " << i;
        }
      }
    }
  }
  EXPECT_GT(groups_checked, 50);
}

// For Gaussian weights the MSE-optimal 4-level uniform quantizer spans about ±1.5 sigma
// (step ~1.0 sigma, MSE ~0.12 sigma^2), while the min/max of 64 samples spans about
// ±2.4 sigma (step ~1.6 sigma, MSE ~0.21 sigma^2): a search must cut the error by far more
// than the 25 % asked here.
TEST(OptimizedScales, CutsTwoBitErrorOnGaussianGroups) {
  std::mt19937 rng(94);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  const std::size_t rows = 64, cols = 512;
  std::vector<float> w(rows * cols);
  for (float& x : w) x = round_to(DType::BF16, normal(rng));
  const AffineFormat format{2, 64};
  const double minmax = quantization_sse(w, rows, cols, format, DType::BF16, 1, ScaleMethod::minmax);
  const double optimized = quantization_sse(w, rows, cols, format, DType::BF16, 1, ScaleMethod::optimized);
  EXPECT_LT(optimized, 0.75 * minmax);
}

// A constant group has nothing to search: the result is MLX's, bit for bit.
TEST(OptimizedScales, ConstantAndZeroGroupsAreMlxsResult) {
  for (const float c : {0.0f, -1.75f, 3.0f}) {
    const std::vector<float> w(64, c);
    EXPECT_TRUE(quantize(w, 1, 64, {4, 64}, DType::BF16, Kernel::optimized_fast) ==
                quantize(w, 1, 64, {4, 64}, DType::BF16, Kernel::minmax));
  }
}

TEST(OptimizedScales, QuantizationSseIsTheErrorOfWhatIsWritten) {
  std::mt19937 rng(95);
  for (const int bits : kAllBits) {
    for (const int group_size : kAllGroupSizes) {
      const AffineFormat format{bits, group_size};
      const std::size_t rows = 5, cols = static_cast<std::size_t>(group_size) * 2;
      const auto w = random_weights(rows, cols, group_size, DType::BF16, rng);
      const auto w_hat = dequantized(quantize(w, rows, cols, format, DType::BF16, Kernel::optimized_reference), rows,
                                     cols, format);
      double expected = 0.0;
      for (std::size_t r = 0; r < rows; ++r) {  // per-row sums added in row order
        double row = 0.0;
        for (std::size_t k = 0; k < cols; ++k) {
          const double e = static_cast<double>(w[r * cols + k]) - w_hat[r * cols + k];
          row += e * e;
        }
        expected += row;
      }
      for (const int threads : {1, 2}) {
        EXPECT_EQ(quantization_sse(w, rows, cols, format, DType::BF16, threads, ScaleMethod::optimized), expected)
            << "bits=" << bits << " gs=" << group_size;
      }
    }
  }
}

TEST(OptimizedScales, RejectsBadArgumentsLikeMinMax) {
  std::vector<float> w(96, 1.0f), scales(3), biases(3);
  std::vector<std::uint32_t> packed(12);
  EXPECT_THROW(quantize_affine(w, 1, 96, {7, 32}, DType::BF16, packed, scales, biases, 1, ScaleMethod::optimized),
               Error);
  EXPECT_THROW(quantize_affine(w, 1, 96, {4, 64}, DType::BF16, packed, scales, biases, 1, ScaleMethod::optimized),
               Error);
  EXPECT_THROW(quantize_affine(w, 1, 96, {4, 32}, DType::I8, packed, scales, biases, 1, ScaleMethod::optimized), Error);
  std::vector<std::uint32_t> short_packed(11);
  EXPECT_THROW(
      quantize_affine_optimized_reference(w, 1, 96, {4, 32}, DType::BF16, short_packed, scales, biases), Error);
}

}  // namespace
}  // namespace swan::quant
