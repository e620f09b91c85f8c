// Row-parallel ggml quantization, dequantization and error; see ggml_quantize.h.
// Every row is handed to the scalar reference by exactly one thread, so the bytes are the
// reference's for any thread count (tests check this); the speed comes from the rows.
#include <omp.h>

#include <vector>

#include "swan/core/error.h"
#include "swan/quant/ggml_blocks.h"
#include "swan/quant/ggml_quantize.h"
#include "swan/quant/thread_count.h"

namespace swan::quant {
namespace {

void check_matrix(GgmlType type, std::size_t values, std::size_t bytes, std::size_t rows, std::size_t cols,
                  const char* what) {
  if (values != rows * cols)
    fail("{}: {} values for a {} x {} matrix", what, values, rows, cols);
  if (cols % block_elements(type) != 0)
    fail("{}: rows of {} elements are not a whole number of {} blocks ({} elements each)", what, cols,
         ggml_type_name(type), block_elements(type));
  if (bytes != rows * bytes_for(type, cols))
    fail("{}: {} x {} values of {} take {} bytes, the buffer has {}", what, rows, cols, ggml_type_name(type),
         rows * bytes_for(type, cols), bytes);
}

// The fastest byte-exact way to quantize one row.
void quantize_row(GgmlType type, std::span<const float> row, std::span<std::byte> out) {
  if ((type == GgmlType::Q4_K || type == GgmlType::Q5_K) && row.size() % 256 == 0 &&
      out.size() == bytes_for(type, row.size())) {
    detail::quantize_row_q45_k_fast(row.data(), row.size(), out.data(), type == GgmlType::Q4_K ? 4 : 5);
    return;
  }
  if (type == GgmlType::Q6_K && row.size() % 256 == 0 && out.size() == bytes_for(type, row.size())) {
    detail::quantize_row_q6_k_fast(row.data(), row.size(), out.data());
    return;
  }
  quantize_row_reference(type, row, out);
}

}  // namespace

void quantize_rows(GgmlType type, std::span<const float> values, std::size_t rows, std::size_t cols,
                   std::span<std::byte> out, int threads) {
  check_matrix(type, values.size(), out.size(), rows, cols, "ggml quantization");
  const std::size_t row_bytes = bytes_for(type, cols);
  const int team = detail::thread_count(rows, values.size(), threads);
  const auto n = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel for num_threads(team) if (team > 1) schedule(static)
  for (std::ptrdiff_t r = 0; r < n; ++r) {
    const auto row = static_cast<std::size_t>(r);
    quantize_row(type, values.subspan(row * cols, cols), out.subspan(row * row_bytes, row_bytes));
  }
}

void dequantize_rows(GgmlType type, std::span<const std::byte> data, std::size_t rows, std::size_t cols,
                     std::span<float> out, int threads) {
  check_matrix(type, out.size(), data.size(), rows, cols, "ggml dequantization");
  const std::size_t row_bytes = bytes_for(type, cols);
  const int team = detail::thread_count(rows, out.size(), threads);
  const auto n = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel for num_threads(team) if (team > 1) schedule(static)
  for (std::ptrdiff_t r = 0; r < n; ++r) {
    const auto row = static_cast<std::size_t>(r);
    dequantize_row_reference(type, data.subspan(row * row_bytes, row_bytes), out.subspan(row * cols, cols));
  }
}

double ggml_quantization_sse(GgmlType type, std::span<const float> values, std::size_t rows, std::size_t cols,
                             int threads) {
  if (values.size() != rows * cols) fail("ggml quantization error: {} values for a {} x {} matrix", values.size(), rows, cols);
  const std::size_t row_bytes = bytes_for(type, cols);
  std::vector<double> row_sse(rows, 0.0);
  const int team = detail::thread_count(rows, values.size(), threads);
  const auto n = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel num_threads(team) if (team > 1)
  {
    std::vector<std::byte> packed(row_bytes);
    std::vector<float> decoded(cols);
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < n; ++r) {
      const auto row = static_cast<std::size_t>(r);
      const auto x = values.subspan(row * cols, cols);
      quantize_row(type, x, packed);
      dequantize_row_reference(type, packed, decoded);
      double sum = 0.0;
      for (std::size_t i = 0; i < cols; ++i) {
        const double diff = static_cast<double>(x[i]) - static_cast<double>(decoded[i]);
        sum += diff * diff;
      }
      row_sse[row] = sum;
    }
  }
  double total = 0.0;
  for (const double s : row_sse) total += s;
  return total;
}

}  // namespace swan::quant
