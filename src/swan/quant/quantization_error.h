// Reconstruction error of MLX affine quantization, for planning (which bits / group size a
// tensor can afford) without writing packed output.
#pragma once

#include <cstddef>
#include <span>

#include "swan/core/dtype.h"
#include "swan/quant/affine.h"
#include "swan/quant/scale_method.h"

namespace swan::quant {

// Quantizes `weights` (rows x cols) exactly as quantize_affine would with `method` and
// `column_weights` (same codes, scales and biases rounded to `scale_dtype`) and returns the
// unweighted sum_i (w_i - w_hat_i)^2
// accumulated in float64, where w_hat = fl(fl(q * scale) + bias) in float32 (MLX's dq_f32).
// Nothing is stored. Multi-threaded over rows (threads <= 0: OpenMP's default); per-row sums
// are added in row order, so the result is identical for any thread count.
// Preconditions as for quantize_affine (finite weights, supported format).
double quantization_sse(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                        DType scale_dtype, int threads = 0, ScaleMethod method = ScaleMethod::minmax,
                        std::span<const float> column_weights = {});

}  // namespace swan::quant
