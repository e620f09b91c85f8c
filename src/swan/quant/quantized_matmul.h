// Products with MLX-quantized weights computed straight from the packed codes, for the
// inference engine: W (rows x cols, affine-quantized along cols, like a Linear's weight
// [out, in]) times float32 activations X (tokens x cols), without expanding W.
//
// Numerics: each weight is dequantized exactly as dequantize_affine does (MLX's dq_f32,
// fl(fl(q*s)+b)) and the dot products accumulate in float32 with FMAs over 16 interleaved
// partial sums, so results differ from "dequantize, then a float32 matmul" only by
// summation order (about 1e-6 relative to sum |x*w|). Pure functions on spans: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "swan/quant/affine.h"

namespace swan::quant {

// A read-only view of one quantized 2-D weight (a 3-D [E, out, in] tensor is rows = E*out).
// scales/biases are float32 (widen the file's F16/BF16 ones once, at load time).
struct QuantizedMatrix {
  std::span<const std::uint32_t> packed;  // rows * packed_words_per_row(cols, bits)
  std::span<const float> scales;          // rows * cols / group_size
  std::span<const float> biases;          // rows * cols / group_size
  std::size_t rows = 0;
  std::size_t cols = 0;
  AffineFormat format;
};

// Throws swan::Error unless the format is supported and the spans match rows/cols.
void check_quantized_matrix(const QuantizedMatrix& w, const char* what);

// y[t * w.rows + r] = sum_k x[t * w.cols + k] * w_hat[r, k] for t < tokens: y = X W^T.
// Multi-threaded over rows (threads <= 0: OpenMP's default, reduced for small products).
// The result does not depend on the thread count.
void quantized_matmul(const QuantizedMatrix& w, std::span<const float> x, std::size_t tokens, std::span<float> y,
                      int threads = 0);

// One row of W times one vector x (w.cols floats). Single-threaded.
float quantized_row_dot(const QuantizedMatrix& w, std::size_t row, std::span<const float> x);

}  // namespace swan::quant
