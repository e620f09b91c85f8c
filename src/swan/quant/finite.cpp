// Scans blocks with a branch-free, vectorisable test on the exponent bits (all ones means
// NaN or Inf) and only looks for the exact index inside a block that has one.
#include "swan/quant/finite.h"

#include <bit>
#include <cstdint>

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

}  // namespace swan::quant
