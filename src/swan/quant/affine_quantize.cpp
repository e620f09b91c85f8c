// Fast MLX affine quantizers: rows in parallel (OpenMP), one group at a time with
// vectorisable loops (affine_group.h for min/max, affine_optimized_group.h for optimized
// scales) and bit width-specialised packing (bit_packing.h). Bitwise identical to
// quantize_affine_reference / quantize_affine_optimized_reference; the row is the unit of
// work, so the output does not depend on the number of threads.
#include "swan/quant/affine.h"
#include "swan/quant/affine_checks.h"
#include "swan/quant/affine_group.h"
#include "swan/quant/affine_optimized_group.h"
#include "swan/quant/bit_packing.h"
#include "swan/quant/thread_count.h"

namespace swan::quant {
namespace {

template <int Bits>
void quantize_rows(const float* weights, std::size_t rows, std::size_t cols, int group_size, DType scale_dtype,
                   std::uint32_t* packed, float* scales, float* biases, int threads) {
  const float n_bins = static_cast<float>((1 << Bits) - 1);
  const std::size_t words = packed_words_per_row(cols, Bits);
  const std::size_t groups = groups_per_row(cols, group_size);
  const int blocks_per_group = group_size / detail::kBlockCodes;
  const auto row_count = static_cast<std::ptrdiff_t>(rows);

#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) if (threads > 1)
  for (std::ptrdiff_t r = 0; r < row_count; ++r) {
    alignas(64) std::int32_t codes[128];
    const float* row = weights + static_cast<std::size_t>(r) * cols;
    std::uint32_t* row_words = packed + static_cast<std::size_t>(r) * words;
    for (std::size_t g = 0; g < groups; ++g) {
      const float* group = row + g * static_cast<std::size_t>(group_size);
      const detail::GroupParams params =
          detail::group_params(detail::group_range(group, group_size), n_bins);
      scales[static_cast<std::size_t>(r) * groups + g] = detail::round_to_scale_dtype(scale_dtype, params.scale);
      biases[static_cast<std::size_t>(r) * groups + g] = detail::round_to_scale_dtype(scale_dtype, params.bias);
      detail::group_codes(group, group_size, params, n_bins, codes);
      std::uint32_t* group_words = row_words + g * static_cast<std::size_t>(group_size) * Bits / 32;
      for (int b = 0; b < blocks_per_group; ++b) {
        detail::pack_block<Bits>(codes + b * detail::kBlockCodes, group_words + b * Bits);
      }
    }
  }
}

template <int Bits>
void quantize_rows_optimized(const float* weights, std::size_t rows, std::size_t cols, int group_size,
                             DType scale_dtype, const float* column_weights, std::uint32_t* packed, float* scales,
                             float* biases, int threads) {
  const float n_bins = static_cast<float>((1 << Bits) - 1);
  const std::size_t words = packed_words_per_row(cols, Bits);
  const std::size_t groups = groups_per_row(cols, group_size);
  const int blocks_per_group = group_size / detail::kBlockCodes;
  const auto row_count = static_cast<std::ptrdiff_t>(rows);

#pragma omp parallel for schedule(dynamic, 4) num_threads(threads) if (threads > 1)
  for (std::ptrdiff_t r = 0; r < row_count; ++r) {
    alignas(64) float codes[128];
    const float* row = weights + static_cast<std::size_t>(r) * cols;
    std::uint32_t* row_words = packed + static_cast<std::size_t>(r) * words;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t at = static_cast<std::size_t>(r) * groups + g;
      const std::size_t first = g * static_cast<std::size_t>(group_size);
      detail::optimized_group(row + first, column_weights ? column_weights + first : nullptr, group_size, n_bins,
                              scale_dtype, codes, scales[at], biases[at]);
      std::uint32_t* group_words = row_words + g * static_cast<std::size_t>(group_size) * Bits / 32;
      for (int b = 0; b < blocks_per_group; ++b) {
        detail::pack_block<Bits>(codes + b * detail::kBlockCodes, group_words + b * Bits);
      }
    }
  }
}

void check_arguments(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases) {
  const char* op = "quantize_affine";
  detail::check_format(op, format, cols);
  detail::check_scale_dtype(op, scale_dtype);
  detail::check_size(op, "weights", weights.size(), rows * cols);
  detail::check_size(op, "packed", packed.size(), rows * packed_words_per_row(cols, format.bits));
  detail::check_size(op, "scales", scales.size(), rows * groups_per_row(cols, format.group_size));
  detail::check_size(op, "biases", biases.size(), rows * groups_per_row(cols, format.group_size));
}

}  // namespace

void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases, int threads) {
  check_arguments(weights, rows, cols, format, scale_dtype, packed, scales, biases);
  const int thread_count = detail::thread_count(rows, rows * cols, threads);
  detail::dispatch_bits(format.bits, [&](auto bits) {
    quantize_rows<decltype(bits)::value>(weights.data(), rows, cols, format.group_size, scale_dtype, packed.data(),
                                         scales.data(), biases.data(), thread_count);
  });
}

void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases) {
  quantize_affine(weights, rows, cols, format, scale_dtype, packed, scales, biases, 0);
}

void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases, int threads, ScaleMethod method) {
  quantize_affine(weights, rows, cols, format, scale_dtype, packed, scales, biases, threads, method, {});
}

void quantize_affine(std::span<const float> weights, std::size_t rows, std::size_t cols, AffineFormat format,
                     DType scale_dtype, std::span<std::uint32_t> packed, std::span<float> scales,
                     std::span<float> biases, int threads, ScaleMethod method, std::span<const float> column_weights) {
  if (method == ScaleMethod::minmax) {
    quantize_affine(weights, rows, cols, format, scale_dtype, packed, scales, biases, threads);
    return;
  }
  check_arguments(weights, rows, cols, format, scale_dtype, packed, scales, biases);
  detail::check_column_weights("quantize_affine", column_weights, cols);
  const int thread_count = detail::thread_count(rows, rows * cols, threads);
  detail::dispatch_bits(format.bits, [&](auto bits) {
    quantize_rows_optimized<decltype(bits)::value>(weights.data(), rows, cols, format.group_size, scale_dtype,
                                                   column_weights.empty() ? nullptr : column_weights.data(),
                                                   packed.data(), scales.data(), biases.data(), thread_count);
  });
}

}  // namespace swan::quant
