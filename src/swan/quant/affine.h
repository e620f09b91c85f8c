// MLX affine quantization (mode "affine"), bit-exact with MLX's CPU quantizer.
// Spec: ../shared/specs/mlx-format.md §1–2. Pure functions on spans: no I/O.
//
// A matrix of `rows` x `cols` float32 values (already rounded to the model dtype) is
// quantized along its last axis in groups of `group_size`. Per group: a scale and a bias
// (returned as float32 values that are exactly representable in `scale_dtype`, i.e.
// already rounded to it) and `group_size` codes in [0, 2^bits - 1], packed into a
// little-endian bit stream read as uint32 words (cols * bits / 32 words per row).
// A tensor with more than two dimensions ([E, out, in]) is the matrix rows = E*out.
//
// Semantics (MLX CPU, spec §1.2–1.3): float32 arithmetic, true min/max, eps = 1e-7f, the
// sign trick (edge = endpoint of larger magnitude, ties to the max side), rint with ties to
// even for q0 and the codes, and codes computed with the *unrounded* float32 scale/bias.
// We deliberately do not emulate the Metal/CUDA kernels (§1.5): CPU semantics are plain
// IEEE float32 and are what the golden files pin down bit for bit.
//
// Preconditions: bits in {2,3,4,5,6,8}; group_size in {32,64,128}; cols % group_size == 0;
// all inputs finite (callers reject NaN/Inf first, naming the tensor; see finite.h).
// scale_dtype is F16, BF16 or F32. Violated shape/format preconditions throw swan::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "swan/core/dtype.h"
#include "swan/quant/scale_method.h"

namespace swan::quant {

struct AffineFormat {
  int bits = 4;
  int group_size = 64;
};

bool is_supported(AffineFormat format);
std::size_t packed_words_per_row(std::size_t cols, int bits);  // cols * bits / 32
std::size_t groups_per_row(std::size_t cols, int group_size);  // cols / group_size
// Bytes a quantized tensor of `elements` values occupies in a file: packed codes plus one
// scale and one bias per group, each `scale_bytes` wide (the model dtype).
std::uint64_t affine_storage_bytes(std::uint64_t elements, AffineFormat format, std::size_t scale_bytes);

// Scalar reference: the executable spec. Single-threaded, obviously correct.
void quantize_affine_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                               AffineFormat format, DType scale_dtype, std::span<std::uint32_t> packed,
                               std::span<float> scales, std::span<float> biases);

// Fast version (multi-threaded over rows, vectorised); bitwise identical to the reference.
void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases);
// Same, with an explicit OpenMP thread count (<= 0: OpenMP's default). The output never
// depends on it: every row is computed by exactly one thread with the same code.
void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases, int threads);
// Same, with the scale method: minmax is the function above; optimized is bitwise identical
// to quantize_affine_optimized_reference (affine_optimized.h), for any thread count.
void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases, int threads, ScaleMethod method);
// Same, with the importance of each input column for optimized scales (affine_optimized.h:
// empty means uniform, the function above). min/max ignores it: MLX's rule has no weights.
void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases, int threads, ScaleMethod method, std::span<const float> column_weights);

// Codes of one row, unpacked from its packed words.
void unpack_row(std::span<const std::uint32_t> packed_row, std::size_t cols, int bits, std::span<std::uint8_t> codes);

// w_hat = float(q) * scale + bias in float32 (two roundings, no FMA): MLX's dq_f32.
// Multi-threaded over rows; bitwise identical to dequantize_affine_reference.
void dequantize_affine(std::span<const std::uint32_t> packed, std::span<const float> scales,
                       std::span<const float> biases, std::size_t rows, std::size_t cols, AffineFormat format,
                       std::span<float> out);

// Scalar reference for dequantize_affine: reads the codes bit by bit from the stream (§2.1).
void dequantize_affine_reference(std::span<const std::uint32_t> packed, std::span<const float> scales,
                                 std::span<const float> biases, std::size_t rows, std::size_t cols,
                                 AffineFormat format, std::span<float> out);

// Dequantizes rows [row_begin, row_end) of a quantized matrix into `out`
// ((row_end - row_begin) * cols floats). `packed`, `scales` and `biases` are the whole
// matrix's arrays (row-major), so an inference engine can expand a slice of rows (say, the
// embedding rows of the current tokens) without touching the rest. Single-threaded, same
// bits as dequantize_affine.
void dequantize_rows(std::span<const std::uint32_t> packed, std::span<const float> scales,
                     std::span<const float> biases, std::size_t row_begin, std::size_t row_end, std::size_t cols,
                     AffineFormat format, std::span<float> out);

}  // namespace swan::quant
