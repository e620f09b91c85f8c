// Scans blocks with a branch-free, vectorisable test on the exponent bits (all ones means
// NaN or Inf) and only looks for the exact index inside a block that has one.
#include "swan/quant/finite.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"

namespace swan::quant {
namespace {

bool is_non_finite(float value) { return (std::bit_cast<std::uint32_t>(value) & 0x7f800000u) == 0x7f800000u; }

}  // namespace

std::optional<std::size_t> first_non_finite(std::span<const float> values) {
  constexpr std::size_t kBlock = 1024;
  for (std::size_t begin = 0; begin < values.size(); begin += kBlock) {
    const std::size_t end = begin + kBlock < values.size() ? begin + kBlock : values.size();
    std::uint32_t any = 0;
    for (std::size_t i = begin; i < end; ++i) any |= is_non_finite(values[i]) ? 1u : 0u;
    if (any == 0) continue;
    for (std::size_t i = begin; i < end; ++i) {
      if (is_non_finite(values[i])) return i;
    }
  }
  return std::nullopt;
}

bool convert_to_float_all_finite(DType dtype, std::span<const std::byte> bytes, std::span<float> out) {
  if (dtype != DType::BF16) {
    convert_to_float(dtype, bytes, out);
    return !first_non_finite(out);
  }
  SWAN_CHECK(bytes.size() == out.size() * 2, "size mismatch for {}", dtype_name(dtype));
  std::uint32_t any = 0;  // branch-free, so the loop vectorises
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint16_t bits;
    std::memcpy(&bits, bytes.data() + 2 * i, 2);
    out[i] = bf16_to_float(bits);
    any |= (bits & 0x7f80u) == 0x7f80u ? 1u : 0u;  // exponent all ones: NaN or Inf
  }
  return any == 0;
}

}  // namespace swan::quant
