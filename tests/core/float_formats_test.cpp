#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
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

// Independent reference for bf16: the value rounded to 8 significant bits in double
// arithmetic, ties to even (std::nearbyint in the default rounding mode), with the same
// exponent range as float32 (bf16 subnormals are float32 subnormals with 7 mantissa bits).
std::uint32_t reference_bf16_bits_as_float(float value) {
  if (std::isnan(value) || std::isinf(value) || value == 0.0f) return std::bit_cast<std::uint32_t>(value);
  const double magnitude = std::fabs(static_cast<double>(value));
  const int exponent = std::max(std::ilogb(magnitude), -126);  // subnormals share 2^-126's grid
  const double unit = std::ldexp(1.0, exponent - 7);
  const double rounded = std::nearbyint(magnitude / unit) * unit;
  const float result = rounded >= std::ldexp(1.0, 128) ? std::numeric_limits<float>::infinity()
                                                       : static_cast<float>(rounded);
  return std::bit_cast<std::uint32_t>(std::copysign(result, value));
}

// Every bf16 pattern: widening gives the value sign * 2^e * 1.m (or the subnormal), and
// narrowing that value gives the pattern back.
TEST(FloatFormats, Bf16RoundTripsAllPatterns) {
  for (std::uint32_t h = 0; h < 65536; ++h) {
    const auto bits = static_cast<std::uint16_t>(h);
    const float widened = bf16_to_float(bits);
    const std::uint32_t exponent = (h >> 7) & 0xffu;
    const std::uint32_t mantissa = h & 0x7fu;
    if (exponent == 0xff && mantissa != 0) {
      EXPECT_TRUE(std::isnan(widened)) << h;
      EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(widened)))) << h;
      continue;
    }
    double expected = exponent == 0 ? std::ldexp(static_cast<double>(mantissa), -133)
                                    : std::ldexp(1.0 + mantissa / 128.0, static_cast<int>(exponent) - 127);
    if (exponent == 0xff) expected = std::numeric_limits<double>::infinity();
    if (h & 0x8000u) expected = -expected;
    ASSERT_EQ(static_cast<double>(widened), expected) << h;
    ASSERT_EQ(std::signbit(widened), (h & 0x8000u) != 0) << h;
    ASSERT_EQ(float_to_bf16(widened), bits) << h;
  }
}

// Random float32 patterns over the whole range (every exponent, both signs, subnormals,
// infinities and NaNs), against the compiler's fp16 conversion and the bf16 reference.
TEST(FloatFormats, NarrowingMatchesReferencesOverTheWholeFloatRange) {
  std::uint32_t state = 12345;
  for (std::uint32_t exponent = 0; exponent < 256; ++exponent) {
    for (int i = 0; i < 8192; ++i) {
      state = state * 1664525u + 1013904223u;
      const std::uint32_t bits = (state & 0x807fffffu) | (exponent << 23);
      const float value = std::bit_cast<float>(bits);
      if (std::isnan(value)) {
        EXPECT_TRUE(std::isnan(fp16_to_float(float_to_fp16(value))));
        EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(value))));
        continue;
      }
      const _Float16 half = static_cast<_Float16>(value);
      std::uint16_t expected_half;
      std::memcpy(&expected_half, &half, 2);
      ASSERT_EQ(float_to_fp16(value), expected_half) << std::hex << bits;
      ASSERT_EQ(std::bit_cast<std::uint32_t>(bf16_to_float(float_to_bf16(value))), reference_bf16_bits_as_float(value))
          << std::hex << bits;
    }
  }
}

// Exact midpoints between neighbouring 16-bit values (and one float32 ulp either side), where
// round-to-nearest-even decides: for every finite fp16 and bf16 pattern and its successor.
TEST(FloatFormats, NarrowingRoundsEveryMidpointToEven) {
  for (std::uint32_t h = 0; h < 0x7fffu; ++h) {
    for (const bool negative : {false, true}) {
      const auto sign = static_cast<std::uint16_t>(negative ? 0x8000u : 0u);
      const auto low = static_cast<std::uint16_t>(h | sign);
      const auto high = static_cast<std::uint16_t>((h + 1) | sign);
      if (h + 1 < 0x7c00u) {  // fp16: both finite
        const float midpoint = fp16_to_float(low) + (fp16_to_float(high) - fp16_to_float(low)) / 2;  // exact
        for (const float value : {std::nextafter(midpoint, 0.0f), midpoint, std::nextafter(midpoint, 2 * midpoint)}) {
          const _Float16 half = static_cast<_Float16>(value);
          std::uint16_t expected;
          std::memcpy(&expected, &half, 2);
          ASSERT_EQ(float_to_fp16(value), expected) << std::hex << h;
        }
        ASSERT_EQ(float_to_fp16(midpoint), (h & 1u) ? high : low) << std::hex << h;
      }
      if (h + 1 < 0x7f80u) {  // bf16: both finite
        const float midpoint = bf16_to_float(low) + (bf16_to_float(high) - bf16_to_float(low)) / 2;  // exact, no overflow
        for (const float value : {std::nextafter(midpoint, 0.0f), midpoint, std::nextafter(midpoint, 2 * midpoint)}) {
          ASSERT_EQ(std::bit_cast<std::uint32_t>(bf16_to_float(float_to_bf16(value))),
                    reference_bf16_bits_as_float(value))
              << std::hex << h;
        }
        ASSERT_EQ(float_to_bf16(midpoint), (h & 1u) ? high : low) << std::hex << h;
      }
    }
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
