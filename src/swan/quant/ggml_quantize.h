// ggml block quantization, byte-exact with llama.cpp's reference functions
// (quantize_row_*_ref / dequantize_row_* of ggml-quants.c, no importance matrix).
// Spec: ../shared/specs/gguf-format.md §4. Pure functions on spans: no I/O.
//
// A row of n float32 values (n a multiple of the type's block, ggml_type.h) becomes
// bytes_for(type, n) bytes of consecutive blocks. F32/F16/BF16 are element-wise (F16 and
// BF16 round to nearest even, as ggml does). The traps the spec lists are followed: K-quant
// codes use round-half-to-even via ggml's magic-number trick, Q8_0 uses roundf, the legacy
// 4/5-bit types truncate after adding the offset; stored scales are fp16 and K-quants
// re-derive their codes from the fp16-rounded scales; the asymmetric fit updates its
// running min when a trial wins; running maxima start at +0.0 and move only on a strictly
// greater value (so an all-zero-min block stores dmin = +0.0).
//
// Preconditions: values finite (callers reject NaN/Inf first, naming the tensor).
// Bad sizes throw swan::Error.
#pragma once

#include <cstddef>
#include <span>

#include "swan/quant/ggml_type.h"

namespace swan::quant {

// Scalar reference: the executable spec, one row at a time, single-threaded.
void quantize_row_reference(GgmlType type, std::span<const float> row, std::span<std::byte> out);
void dequantize_row_reference(GgmlType type, std::span<const std::byte> row, std::span<float> out);

// rows x cols values (row-major) -> rows * bytes_for(type, cols) bytes, rows spread over
// OpenMP threads (threads <= 0: OpenMP's default, fewer for small matrices), with the
// lane-parallel Q4_K/Q5_K fits (ggml_fast.cpp). Byte-identical to the reference for any
// thread count: each row is computed by one thread, every lane in the reference's order.
void quantize_rows(GgmlType type, std::span<const float> values, std::size_t rows, std::size_t cols,
                   std::span<std::byte> out, int threads = 0);
void dequantize_rows(GgmlType type, std::span<const std::byte> data, std::size_t rows, std::size_t cols,
                     std::span<float> out, int threads = 0);

// For planning: sum over all elements of (x - dequantize(quantize(x)))^2, accumulated in
// float64 per row and added in row order, so the result does not depend on the thread count.
// Nothing is stored.
double ggml_quantization_sse(GgmlType type, std::span<const float> values, std::size_t rows, std::size_t cols,
                             int threads = 0);

}  // namespace swan::quant
