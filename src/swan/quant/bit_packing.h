// Internal to quant/: fast packing and unpacking of MLX's little-endian code stream (spec §2.1).
//
// 32 codes of b bits occupy exactly b uint32 words for every allowed b, and every group
// (32, 64 or 128 codes) is a whole number of such blocks, so all kernels work block by
// block with the bit width as a template parameter. With `Bits` a constant and the loops
// fully unrolled, every shift, word index and straddle test below is a compile-time
// constant; the 3/5/6-bit codes that straddle words (§2.2) just get a second shift.
#pragma once

#include <cstdint>
#include <cstring>
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
  if constexpr (32 % Bits == 0) {
    // 2/4/8 bits: no straddlers. Written word by word so the compiler sees one broadcast
    // word and a vector of per-lane shifts (vpsrlvd) instead of 32 scalar extractions.
    constexpr int per_word = 32 / Bits;
    for (int w = 0; w < Bits; ++w) {
      const std::uint32_t word = words[w];
      for (int k = 0; k < per_word; ++k) {
        codes[w * per_word + k] = static_cast<Out>((word >> (k * Bits)) & mask);
      }
    }
  } else {
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
}

// Unpacks one block straight to float codes with 16-lane vector-extension code: each lane
// gathers its word (and the next one, for straddlers) with a constant shuffle and shifts by
// a constant per-lane amount. The compiler's own vectorisation of unpack_block produced
// byte inserts/extracts that ran at ~4 cycles per weight; this is a handful of vector ops.
typedef std::uint32_t U32x16 __attribute__((vector_size(64)));
typedef float F32x16 __attribute__((vector_size(64)));

// Per-lane constants of one block, as plain arrays so they can be built at compile time.
struct BlockLanes {
  std::uint32_t word[kBlockCodes];      // word index of each code
  std::uint32_t next[kBlockCodes];      // word index + 1 (straddlers read their high bits there)
  std::uint32_t shift[kBlockCodes];     // bit offset inside the word
  std::uint32_t hi_shift[kBlockCodes];  // 31 - shift: (next << 1) << (31 - shift) is next << (32 - shift), 0 if shift == 0
};

template <int Bits>
constexpr BlockLanes make_block_lanes() {
  BlockLanes lanes{};
  for (int i = 0; i < kBlockCodes; ++i) {
    const int bit = i * Bits;
    const auto word = static_cast<std::uint32_t>(bit / 32);
    const auto shift = static_cast<std::uint32_t>(bit % 32);
    lanes.word[i] = word;
    lanes.next[i] = word + 1 < 16 ? word + 1 : 15;
    lanes.shift[i] = shift;
    lanes.hi_shift[i] = 31 - shift;
  }
  return lanes;
}

inline U32x16 load_u32x16(const std::uint32_t* p) {
  U32x16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Lane permutation by a runtime index vector: GCC has a builtin for it; elsewhere (clang)
// a plain loop over lanes gives the same result.
inline U32x16 permute_lanes(U32x16 table, U32x16 index) {
#if defined(__GNUC__) && !defined(__clang__)
  return __builtin_shuffle(table, index);
#else
  U32x16 out;
  for (int i = 0; i < 16; ++i) out[i] = table[index[i] & 15u];
  return out;
#endif
}

template <int Bits>
inline void unpack_block_to_float(const std::uint32_t* words, float* codes) {
  static constexpr BlockLanes lanes = make_block_lanes<Bits>();
  const U32x16 mask = U32x16{} + ((1u << Bits) - 1u);
  U32x16 all{};  // the block's Bits words; lanes past them stay 0 (never read out of bounds)
  std::memcpy(&all, words, Bits * sizeof(std::uint32_t));
  for (int half = 0; half < 2; ++half) {
    const U32x16 lo = permute_lanes(all, load_u32x16(lanes.word + 16 * half));
    U32x16 value = lo >> load_u32x16(lanes.shift + 16 * half);
    if constexpr (32 % Bits != 0) {
      const U32x16 hi = permute_lanes(all, load_u32x16(lanes.next + 16 * half));
      value |= (hi << 1) << load_u32x16(lanes.hi_shift + 16 * half);
    }
    const F32x16 as_float = __builtin_convertvector(value & mask, F32x16);
    std::memcpy(codes + half * 16, &as_float, sizeof as_float);
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
