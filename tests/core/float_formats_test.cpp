#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "swan/core/dtype.h"
#include "swan/core/float_formats.h"

namespace swan {
namespace {

// Independent reference: the compiler's _Float16 conversion (IEEE round-to-nearest-even).
TEST(FloatFormats, Fp16MatchesCompilerConversionForAllHalfValues) {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    _Float16 x;
    const std::uint16_t bits = static_cast<std::uint16_t>(h);
    std::memcpy(&x, &bits, 2);
    const float expected = static_cast<float>(x);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(fp16_to_float(bits)));
      continue;
    }
    ASSERT_EQ(std::bit_cast<std::uint32_t>(fp16_to_float(bits)), std::bit_cast<std::uint32_t>(expected)) << h;
    ASSERT_EQ(float_to_fp16(expected), bits) << h;
  }
}

TEST(FloatFormats, Fp16RoundsMidpointsToEven) {
  std::uint32_t state = 12345;
  for (int i = 0; i < 2'000'000; ++i) {
    state = state * 1664525u + 1013904223u;
    // Focus on the fp16 range, including subnormals and overflow.
    const float value = std::bit_cast<float>((state & 0x8fffffffu) | 0x30000000u);
    _Float16 x = static_cast<_Float16>(value);
    std::uint16_t expected;
    std::memcpy(&expected, &x, 2);
    ASSERT_EQ(float_to_fp16(value), expected) << value;
  }
}

TEST(FloatFormats, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie, even stays
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);  // tie, odd rounds up
  EXPECT_EQ(float_to_bf16(std::bit_cast<float>(0x3f808001u)), 0x3f81);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(bf16_to_float(float_to_bf16(-1e-7f)), bf16_to_float(0xb3d7));  // MLX's all-zero scale
}

TEST(DType, ParsesNamesAndSizes) {
  EXPECT_EQ(parse_dtype("BF16"), DType::BF16);
  EXPECT_EQ(parse_dtype("F8_E4M3"), DType::F8_E4M3);
  EXPECT_FALSE(parse_dtype("bf16").has_value());
  EXPECT_EQ(dtype_size(DType::I64), 8u);
  EXPECT_EQ(torch_dtype_name(DType::BF16), "torch.bfloat16");
}

}  // namespace
}  // namespace swan
