// Internal to quant/: fast packing and unpacking of MLX's little-endian code stream (spec §2.1).
//
// 32 codes of b bits occupy exactly b uint32 words for every allowed b, and every group
// (32, 64 or 128 codes) is a whole number of such blocks, so all kernels work block by
// block with the bit width as a template parameter. With `Bits` a constant and the loops
// fully unrolled, every shift, word index and straddle test below is a compile-time
// constant; the 3/5/6-bit codes that straddle words (§2.2) just get a second shift.
#pragma once

#include <cstdint>
#include <type_traits>

namespace swan::quant::detail {

inline constexpr int kBlockCodes = 32;  // codes per block; a block is exactly Bits words

// Packs 32 codes (each < 2^Bits) into Bits words.
template <int Bits, typename Code>
inline void pack_block(const Code* codes, std::uint32_t* words) {
  std::uint32_t out[Bits] = {};
#pragma GCC unroll 32
  for (int i = 0; i < kBlockCodes; ++i) {
    const int bit = i * Bits;
    const int word = bit / 32;
    const int shift = bit % 32;
    const auto code = static_cast<std::uint32_t>(codes[i]);
    out[word] |= code << shift;
    if (shift + Bits > 32) out[word + 1] |= code >> (32 - shift);
  }
#pragma GCC unroll 8
  for (int w = 0; w < Bits; ++w) words[w] = out[w];
}

// Unpacks the 32 codes of one block of Bits words; Out is an integer type or float.
template <int Bits, typename Out>
inline void unpack_block(const std::uint32_t* words, Out* codes) {
  constexpr std::uint32_t mask = (1u << Bits) - 1u;
#pragma GCC unroll 32
  for (int i = 0; i < kBlockCodes; ++i) {
    const int bit = i * Bits;
    const int word = bit / 32;
    const int shift = bit % 32;
    std::uint32_t value = words[word] >> shift;
    if (shift + Bits > 32) value |= words[word + 1] << (32 - shift);
    codes[i] = static_cast<Out>(value & mask);
  }
}

// Calls f(std::integral_constant<int, bits>{}) so a kernel can be instantiated per bit width.
template <typename F>
inline decltype(auto) dispatch_bits(int bits, F&& f) {
  switch (bits) {
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 5:
      return f(std::integral_constant<int, 5>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    default:  // 8; callers validate the format first
      return f(std::integral_constant<int, 8>{});
  }
}

}  // namespace swan::quant::detail
