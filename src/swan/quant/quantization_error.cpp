// Sum of squared reconstruction error, one group at a time with the fast quantizer's steps.
#include "swan/quant/quantization_error.h"

#include <vector>

#include "swan/quant/affine_checks.h"
#include "swan/quant/affine_group.h"
#include "swan/quant/affine_optimized_group.h"
#include "swan/quant/thread_count.h"

namespace swan::quant {

double quantization_sse(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                        DType scale_dtype, int threads, ScaleMethod method, std::span<const float> column_weights) {
  const char* op = "quantization_sse";
  detail::check_format(op, format, cols);
  detail::check_scale_dtype(op, scale_dtype);
  detail::check_size(op, "weights", weights.size(), rows * cols);
  detail::check_column_weights(op, column_weights, cols);

  const float n_bins = static_cast<float>((1 << format.bits) - 1);
  const int group_size = format.group_size;
  const std::size_t groups = groups_per_row(cols, group_size);
  std::vector<double> row_sse(rows, 0.0);
  const int thread_count = detail::thread_count(rows, rows * cols, threads);
  const auto row_count = static_cast<std::ptrdiff_t>(rows);

#pragma omp parallel for schedule(dynamic, 4) num_threads(thread_count) if (thread_count > 1)
  for (std::ptrdiff_t r = 0; r < row_count; ++r) {
    alignas(64) float codes[128];
    const float* row = weights.data() + static_cast<std::size_t>(r) * cols;
    double sse = 0.0;
    for (std::size_t g = 0; g < groups; ++g) {
      const float* group = row + g * static_cast<std::size_t>(group_size);
      float scale, bias;  // the stored (dtype-rounded) values: what a reader reconstructs with
      if (method == ScaleMethod::optimized) {
        const float* group_weights =
            column_weights.empty() ? nullptr : column_weights.data() + g * static_cast<std::size_t>(group_size);
        detail::optimized_group(group, group_weights, group_size, n_bins, scale_dtype, codes, scale, bias);
      } else {
        const detail::GroupParams params = detail::group_params(detail::group_range(group, group_size), n_bins);
        detail::group_codes(group, group_size, params, n_bins, codes);
        scale = detail::round_to_scale_dtype(scale_dtype, params.scale);
        bias = detail::round_to_scale_dtype(scale_dtype, params.bias);
      }
      for (int j = 0; j < group_size; ++j) {
        const float product = codes[j] * scale;
        const float reconstructed = product + bias;
        const double error = static_cast<double>(group[j]) - static_cast<double>(reconstructed);
        sse += error * error;
      }
    }
    row_sse[static_cast<std::size_t>(r)] = sse;
  }
  double total = 0.0;
  for (double s : row_sse) total += s;
  return total;
}

}  // namespace swan::quant
