// ggml quantizers on hand-worked blocks, the planner's hooks (bytes_for, SSE) and the
// row-parallel paths against the scalar reference. Byte-exactness with llama.cpp itself is
// tested on its own files in tests/gguf/ggml_golden_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "swan/core/error.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::quant {
namespace {

std::vector<float> gaussian(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(GgmlTypes, BlockGeometryAndBytes) {
  EXPECT_EQ(bytes_for(GgmlType::Q4_K, 4096), 16u * 144u);
  EXPECT_EQ(bytes_for(GgmlType::Q8_0, 64), 68u);
  EXPECT_EQ(bytes_for(GgmlType::BF16, 3), 6u);
  EXPECT_DOUBLE_EQ(bits_per_weight(GgmlType::Q6_K), 6.5625);
  EXPECT_DOUBLE_EQ(bits_per_weight(GgmlType::Q3_K), 3.4375);
  EXPECT_THROW(bytes_for(GgmlType::Q2_K, 128), Error);
  EXPECT_EQ(parse_ggml_type("q5_k"), GgmlType::Q5_K);
  EXPECT_FALSE(parse_ggml_type("IQ4_NL").has_value());
  EXPECT_EQ(ggml_types().size(), 13u);
}

TEST(GgmlQuantize, Q8_0BlockOnItsOwnGridIsExact) {
  // amax 15.875 = 127 * 0.125, so d = 0.125 (fp16 0x3000) and every k * 0.125 has code k.
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[static_cast<std::size_t>(i)] = static_cast<float>(i * 7 - 100) * 0.125f;
  x[0] = 15.875f;
  std::vector<std::byte> block(34);
  quantize_row_reference(GgmlType::Q8_0, x, block);
  std::uint16_t d;
  std::memcpy(&d, block.data(), 2);
  EXPECT_EQ(d, 0x3000);
  EXPECT_EQ(static_cast<std::int8_t>(block[2]), 127);
  EXPECT_EQ(static_cast<std::int8_t>(block[3]), -93);
  EXPECT_EQ(ggml_quantization_sse(GgmlType::Q8_0, x, 1, 32), 0.0);
}

TEST(GgmlQuantize, Q4_0PacksElementJAndJPlus16IntoByteJ) {
  // The most negative value -2 gives d = -2 / -8 = 0.25 and code 0; x = 0.25 * (q - 8).
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[static_cast<std::size_t>(i)] = 0.25f * static_cast<float>((i % 16) - 8);
  std::vector<std::byte> block(18);
  quantize_row_reference(GgmlType::Q4_0, x, block);
  std::uint16_t d;
  std::memcpy(&d, block.data(), 2);
  EXPECT_EQ(d, 0x3400);  // fp16 0.25
  for (int j = 0; j < 16; ++j) EXPECT_EQ(static_cast<int>(block[static_cast<std::size_t>(2 + j)]), j | (j << 4)) << j;
  EXPECT_EQ(ggml_quantization_sse(GgmlType::Q4_0, x, 1, 32), 0.0);
}

TEST(GgmlQuantize, ZeroRowsGiveZeroBlocksForEveryType) {
  const std::vector<float> zeros(256, 0.0f);
  for (const auto type : ggml_types()) {
    std::vector<std::byte> out(bytes_for(type, 256), std::byte{0xff});
    quantize_row_reference(type, zeros, out);
    std::vector<float> back(256, 1.0f);
    dequantize_row_reference(type, out, back);
    for (const float v : back) ASSERT_EQ(v, 0.0f) << ggml_type_name(type);
  }
}

TEST(GgmlQuantize, SubnormalRowsQuantizeWithoutOverflowingTheCodes) {
  // A block scale this small is 0 in fp16 and its reciprocal overflows to Inf in float32;
  // every type must still produce a decodable block (ASan/UBSan builds check the casts).
  std::vector<float> tiny(256);
  for (std::size_t i = 0; i < tiny.size(); ++i) tiny[i] = (i % 3 == 0 ? -1.0f : 1.0f) * 1e-40f * static_cast<float>(i % 7);
  for (const auto type : ggml_types()) {
    std::vector<std::byte> out(bytes_for(type, 256));
    quantize_row_reference(type, tiny, out);
    std::vector<float> back(256);
    dequantize_row_reference(type, out, back);
    for (const float v : back) ASSERT_LE(std::fabs(v), 1e-30f) << ggml_type_name(type);
  }
}

TEST(GgmlQuantize, RowParallelPathsEqualTheReferenceForEveryType) {
  const std::size_t rows = 37, cols = 512;
  const auto x = gaussian(rows * cols, 7);
  for (const auto type : ggml_types()) {
    const std::size_t row_bytes = bytes_for(type, cols);
    std::vector<std::byte> reference(rows * row_bytes), fast(rows * row_bytes);
    for (std::size_t r = 0; r < rows; ++r)
      quantize_row_reference(type, std::span(x).subspan(r * cols, cols), std::span(reference).subspan(r * row_bytes, row_bytes));
    for (const int threads : {1, 2, 3}) {
      quantize_rows(type, x, rows, cols, fast, threads);
      EXPECT_TRUE(fast == reference) << ggml_type_name(type) << " threads " << threads;
    }
    std::vector<float> decoded(rows * cols), decoded_reference(cols);
    dequantize_rows(type, reference, rows, cols, decoded, 2);
    double sse = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
      dequantize_row_reference(type, std::span(reference).subspan(r * row_bytes, row_bytes), decoded_reference);
      for (std::size_t c = 0; c < cols; ++c) {
        ASSERT_EQ(decoded[r * cols + c], decoded_reference[c]) << ggml_type_name(type);
        const double diff = static_cast<double>(x[r * cols + c]) - decoded_reference[c];
        sse += diff * diff;
      }
    }
    // The planner's error function: the same quantize -> dequantize, summed in row order.
    EXPECT_DOUBLE_EQ(ggml_quantization_sse(type, x, rows, cols, 1), ggml_quantization_sse(type, x, rows, cols, 2));
    EXPECT_NEAR(ggml_quantization_sse(type, x, rows, cols), sse, 1e-12 * (1.0 + sse)) << ggml_type_name(type);
  }
}

TEST(GgmlQuantize, ErrorFallsWithBitsPerWeight) {
  const std::size_t rows = 16, cols = 1024;
  const auto x = gaussian(rows * cols, 11);
  auto sse = [&](GgmlType t) { return ggml_quantization_sse(t, x, rows, cols); };
  EXPECT_GT(sse(GgmlType::Q2_K), sse(GgmlType::Q3_K));
  EXPECT_GT(sse(GgmlType::Q3_K), sse(GgmlType::Q4_K));
  EXPECT_GT(sse(GgmlType::Q4_0), sse(GgmlType::Q4_K));
  EXPECT_GT(sse(GgmlType::Q4_K), sse(GgmlType::Q5_K));
  EXPECT_GT(sse(GgmlType::Q5_0), sse(GgmlType::Q5_K));
  EXPECT_GT(sse(GgmlType::Q5_K), sse(GgmlType::Q6_K));
  EXPECT_GT(sse(GgmlType::Q6_K), sse(GgmlType::Q8_0));
  EXPECT_GT(sse(GgmlType::Q8_0), sse(GgmlType::BF16));
  EXPECT_GT(sse(GgmlType::BF16), sse(GgmlType::F16));
  EXPECT_EQ(sse(GgmlType::F32), 0.0);
}

TEST(GgmlQuantize, RejectsRowsThatAreNotWholeBlocks) {
  const std::vector<float> x(48, 1.0f);
  std::vector<std::byte> out(64);
  EXPECT_THROW(quantize_row_reference(GgmlType::Q8_0, x, out), Error);
  EXPECT_THROW(quantize_rows(GgmlType::Q4_K, x, 1, 48, out), Error);
}

}  // namespace
}  // namespace swan::quant
