// The lane-parallel K-quant fits (ggml_fast.cpp) against the scalar reference, block for
// block, on data built to reach every branch of the fits and the shortcuts' guard: heavy
// tails and outlier columns, one-signed, constant, sparse and single-value sub-blocks,
// sub-blocks whose extremes are (nearly) each other's negation,
// magnitudes from subnormal to 1e30 within one row (ranges that make the asymmetric fit's
// scale factor overflow, which the fast path hands to the reference), exact rounding ties
// on the code grid, and rows with an odd number of super-blocks (the Q4_K/Q5_K pairing).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "swan/core/float_formats.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::quant {
namespace {

// One 256-value super-block of kind `kind` (0..12) from `rng`.
void fill_block(int kind, std::mt19937& rng, float* x) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::exponential_distribution<float> exponential(1.0f);
  std::uniform_int_distribution<int> small_int(-8, 8);
  const float scale = std::pow(10.0f, std::uniform_real_distribution<float>(-6.0f, 2.0f)(rng));
  for (int i = 0; i < 256; ++i) {
    float v = 0.0f;
    switch (kind) {
      case 0: v = normal(rng) * scale; break;
      case 1: v = exponential(rng) * (rng() % 2 ? 1.0f : -1.0f) * scale * (i % 37 == 5 ? 30.0f : 1.0f); break;
      case 2: v = std::fabs(normal(rng)) * scale; break;           // all positive: min clamps to 0
      case 3: v = -std::fabs(normal(rng)) * scale - scale; break;  // all negative
      case 4: v = (i / 32) % 2 ? scale : -0.5f * scale; break;     // constant sub-blocks
      case 5: v = rng() % 17 == 0 ? normal(rng) * scale : 0.0f; break;  // sparse
      case 6: v = static_cast<float>(small_int(rng)) * 0.125f; break;   // exact ties on the grids
      case 7: v = normal(rng) * 1e-39f; break;                          // subnormal
      case 8: v = (i / 16) % 3 == 0 ? normal(rng) * 1e30f : normal(rng) * 1e-30f; break;  // mixed magnitudes
      case 9: v = i % 32 == 7 ? scale : 0.0f; break;                     // one value per sub-block
      case 10: v = (i % 2 ? 1.0f : -1.0f) * std::ldexp(1.0f, -(i % 140)); break;  // powers of two down to 2^-139
      case 11: {  // each 16 holds +a and a near -a: Q6_K codes at both ends of [-32, 31] in every trial
        constexpr float kMirror[] = {1.0f, 1.0f - 0x1p-20f, 0.999f, 0.997f, 0.99f, 0.98f, 0.95f, 0.9f};
        v = i % 16 == 3 ? scale : i % 16 == 9 ? -scale * kMirror[(i / 16) % 8] : 0.5f * normal(rng) * scale;
        break;
      }
      default: v = bf16_to_float(float_to_bf16(normal(rng) * scale)); break;
    }
    x[i] = v;
  }
}

void expect_rows_equal_reference(GgmlType type, std::size_t rows, std::size_t blocks_per_row, unsigned seed) {
  const std::size_t cols = 256 * blocks_per_row;
  std::mt19937 rng(seed);
  std::vector<float> x(rows * cols);
  for (std::size_t b = 0; b < rows * blocks_per_row; ++b) fill_block(static_cast<int>(rng() % 13), rng, &x[256 * b]);
  const std::size_t row_bytes = bytes_for(type, cols);
  std::vector<std::byte> reference(rows * row_bytes), fast(rows * row_bytes);
  for (std::size_t r = 0; r < rows; ++r)
    quantize_row_reference(type, std::span(x).subspan(r * cols, cols), std::span(reference).subspan(r * row_bytes, row_bytes));
  quantize_rows(type, x, rows, cols, fast, 1);
  std::size_t differing = 0;
  for (std::size_t b = 0; b < rows * blocks_per_row; ++b) {
    const std::size_t size = block_bytes(type);
    if (std::memcmp(reference.data() + b * size, fast.data() + b * size, size) != 0 && differing++ < 3)
      ADD_FAILURE() << ggml_type_name(type) << ": super-block " << b << " differs from the reference";
  }
  EXPECT_EQ(differing, 0u) << ggml_type_name(type) << " " << rows << " x " << cols;
}

TEST(GgmlFast, KQuantFitsEqualTheReferenceOnEveryKindOfBlock) {
  for (const auto type : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    expect_rows_equal_reference(type, 500, 4, 1);  // 2,000 super-blocks, even pairs
    expect_rows_equal_reference(type, 300, 3, 2);  // an odd super-block closes every row
    expect_rows_equal_reference(type, 200, 1, 3);  // rows of one super-block
  }
}

TEST(GgmlFast, KQuantFitsEqualTheReferenceOnLaplaceWeights) {
  // The benchmark models' distribution: bf16 values with exponential tails and outlier columns.
  const std::size_t rows = 64, cols = 4096;
  std::mt19937 rng(5);
  std::exponential_distribution<float> magnitude(50.0f);
  std::vector<float> x(rows * cols);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = bf16_to_float(float_to_bf16(magnitude(rng) * (rng() % 2 ? 1.0f : -1.0f) * (i % 509 == 3 ? 12.0f : 1.0f)));
  for (const auto type : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const std::size_t row_bytes = bytes_for(type, cols);
    std::vector<std::byte> reference(rows * row_bytes), fast(rows * row_bytes);
    for (std::size_t r = 0; r < rows; ++r)
      quantize_row_reference(type, std::span(x).subspan(r * cols, cols), std::span(reference).subspan(r * row_bytes, row_bytes));
    quantize_rows(type, x, rows, cols, fast, 2);
    EXPECT_TRUE(fast == reference) << ggml_type_name(type);
  }
}

}  // namespace
}  // namespace swan::quant
