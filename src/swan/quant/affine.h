// MLX affine quantization (mode "affine"), bit-exact with MLX's CPU quantizer.
// Spec: ../shared/specs/mlx-format.md §1–2. Pure functions on spans: no I/O.
//
// A matrix of `rows` x `cols` float32 values (already rounded to the model dtype) is
// quantized along its last axis in groups of `group_size`. Per group: a scale and a bias
// (returned as float32 values that are exactly representable in `scale_dtype`, i.e.
// already rounded to it) and `group_size` codes in [0, 2^bits - 1], packed into a
// little-endian bit stream read as uint32 words (cols * bits / 32 words per row).
//
// Preconditions: bits in {2,3,4,5,6,8}; group_size in {32,64,128}; cols % group_size == 0;
// all inputs finite (callers reject NaN/Inf first, naming the tensor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "swan/core/dtype.h"

namespace swan::quant {

struct AffineFormat {
  int bits = 4;
  int group_size = 64;
};

bool is_supported(AffineFormat format);
std::size_t packed_words_per_row(std::size_t cols, int bits);  // cols * bits / 32

// Scalar reference: the executable spec. Single-threaded, obviously correct.
void quantize_affine_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                               AffineFormat format, DType scale_dtype, std::span<std::uint32_t> packed,
                               std::span<float> scales, std::span<float> biases);

// Fast version (multi-threaded over rows, vectorised); bitwise identical to the reference.
void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases);

// Codes of one row, unpacked from its packed words.
void unpack_row(std::span<const std::uint32_t> packed_row, std::size_t cols, int bits, std::span<std::uint8_t> codes);

// w_hat = float(q) * scale + bias in float32 (two roundings, no FMA): MLX's dq_f32.
void dequantize_affine(std::span<const std::uint32_t> packed, std::span<const float> scales,
                       std::span<const float> biases, std::size_t rows, std::size_t cols, AffineFormat format,
                       std::span<float> out);

}  // namespace swan::quant
