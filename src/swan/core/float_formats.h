// Bit-exact conversions between float32 and the 16-bit formats weights are stored in.
// Widening (bf16/fp16 -> f32) is exact. Narrowing rounds to nearest, ties to even,
// keeps fp16 subnormals, and maps NaN to a quiet NaN — the behaviour of MLX, PyTorch
// and numpy, which the golden files were produced with.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace swan {

inline float bf16_to_float(std::uint16_t bits) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

inline std::uint16_t float_to_bf16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((bits >> 16) | 0x0040u);
  const std::uint32_t rounding_bias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>((bits + rounding_bias) >> 16);
}

inline float fp16_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    std::uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

inline std::uint16_t float_to_fp16(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const std::uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return static_cast<std::uint16_t>(sign | 0x7e00u);  // NaN
  if (abs_bits >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (abs_bits < 0x38800000u) {
    // Result is subnormal or zero: scale into fp16's subnormal grid, round to nearest even.
    if (abs_bits < 0x33000000u) return sign;  // below half the smallest subnormal
    const std::uint32_t exponent = abs_bits >> 23;
    const std::uint32_t mantissa = (abs_bits & 0x7fffffu) | 0x800000u;
    // value = mantissa * 2^(exponent-150) and the subnormal unit is 2^-24, so the code is
    // mantissa * 2^(exponent-126): shift right by 126 - exponent (between 14 and 24 here).
    const std::uint32_t shift = 126u - exponent;
    const std::uint32_t q = mantissa >> shift;
    const std::uint32_t remainder = mantissa & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    std::uint32_t result = q;
    if (remainder > half || (remainder == half && (q & 1u))) ++result;
    return static_cast<std::uint16_t>(sign | result);
  }
  // Normal: rebias exponent and round the 13 dropped mantissa bits to nearest even.
  std::uint32_t rebased = abs_bits - 0x38000000u;
  const std::uint32_t rounding_bias = 0xfffu + ((rebased >> 13) & 1u);
  rebased += rounding_bias;
  return static_cast<std::uint16_t>(sign | (rebased >> 13));
}

}  // namespace swan
