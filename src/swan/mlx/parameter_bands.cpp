// Band-wise MLX quantization of one parameter; see parameter_bands.h.
#include "swan/mlx/parameter_bands.h"

#include <vector>

namespace swan::mlx {

QuantizedParameter quantize_parameter(const ParameterSource& source, DType dtype, quant::AffineFormat format,
                                      quant::ScaleMethod method, std::span<const float> column_weights) {
  const std::size_t cols = source.cols;
  const std::size_t rows = quant::total_rows(source);
  // A call on no rows validates the format and scale dtype, so a bad plan throws the
  // quantizer's own message before any work starts.
  quant::quantize_affine({}, 0, cols, format, dtype, {}, {}, {}, 1);
  const std::size_t words = quant::packed_words_per_row(cols, format.bits);
  const std::size_t groups = quant::groups_per_row(cols, format.group_size);
  const std::size_t size = dtype_size(dtype);
  QuantizedParameter out{Buffer<std::uint32_t>(rows * words), Buffer<std::byte>(rows * groups * size),
                         Buffer<std::byte>(rows * groups * size)};
  quant::for_each_row_band(source, dtype, [&](const quant::RowBand& band, std::span<const float> values) {
    // Scales and biases come back as float32 values already exact in `dtype`.
    thread_local std::vector<float> scales, biases;
    const std::size_t band_groups = band.rows * groups;
    scales.resize(band_groups);
    biases.resize(band_groups);
    quant::quantize_affine(values, band.rows, cols, format, dtype, out.packed.span().subspan(band.first_row * words,
                                                                                             band.rows * words),
                           scales, biases, 1, method, column_weights);
    const std::size_t at = band.first_row * groups * size;
    convert_from_float(scales, dtype, out.scales.span().subspan(at, band_groups * size));
    convert_from_float(biases, dtype, out.biases.span().subspan(at, band_groups * size));
  });
  return out;
}

}  // namespace swan::mlx
