// Quantizes one floating-point parameter into the bytes the MLX writer stores (packed
// codes, scales, biases), a band of rows at a time on top of quant/row_bands.h: widen to
// float32 -> reject NaN/Inf -> round to the written dtype -> quant::quantize_affine.
// No file I/O here: the caller hands in the source bytes and writes the results.
#pragma once

#include <cstdint>

#include "swan/quant/affine.h"
#include "swan/quant/row_bands.h"

namespace swan::mlx {

using quant::Buffer;
using quant::check_finite;
using quant::convert_parameter;
using quant::first_non_finite_raw;
using quant::ParameterSource;

struct QuantizedParameter {
  Buffer<std::uint32_t> packed;  // little-endian words, rows * cols * bits / 32
  Buffer<std::byte> scales;      // in the written dtype
  Buffer<std::byte> biases;
};

// The parameter rounded to `dtype`, then quantized with scales and biases in `dtype`.
// `column_weights`: each input column's importance for optimized scales (empty: uniform).
QuantizedParameter quantize_parameter(const ParameterSource& source, DType dtype, quant::AffineFormat format,
                                      quant::ScaleMethod method = quant::ScaleMethod::minmax,
                                      std::span<const float> column_weights = {});

}  // namespace swan::mlx
