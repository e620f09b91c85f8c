// Internal to quant/: float32 dequantization of one packed row, the inner kernel shared by
// dequantize_rows / dequantize_affine and the fused quantized matmul.
// w_hat = fl(fl(float(q) * scale) + bias): two roundings, never an FMA (-ffp-contract=off),
// which is MLX's dq_f32 bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "swan/quant/bit_packing.h"

namespace swan::quant::detail {

template <int Bits>
inline void dequantize_row(const std::uint32_t* row_words, const float* row_scales, const float* row_biases,
                           std::size_t cols, int group_size, float* out) {
  const std::size_t blocks_per_group = static_cast<std::size_t>(group_size) / kBlockCodes;
  const std::size_t groups = cols / static_cast<std::size_t>(group_size);
  for (std::size_t g = 0; g < groups; ++g) {
    const float scale = row_scales[g];
    const float bias = row_biases[g];
    for (std::size_t b = 0; b < blocks_per_group; ++b) {
      const std::size_t block = g * blocks_per_group + b;
      alignas(64) float codes[kBlockCodes];
      unpack_block_to_float<Bits>(row_words + block * Bits, codes);
      float* dst = out + block * kBlockCodes;
      for (int i = 0; i < kBlockCodes; ++i) {
        const float product = codes[i] * scale;
        dst[i] = product + bias;
      }
    }
  }
}

}  // namespace swan::quant::detail
