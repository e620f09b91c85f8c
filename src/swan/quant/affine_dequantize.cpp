// Fast unpacking and float32 dequantization (MLX's dq_f32: fl(fl(q * scale) + bias)),
// one 32-code block at a time with the bit width as a template parameter.
// Bitwise identical to dequantize_affine_reference.
#include "swan/quant/affine_dequantize_row.h"

#include "swan/core/error.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_checks.h"
#include "swan/quant/bit_packing.h"
#include "swan/quant/thread_count.h"

namespace swan::quant {

void unpack_row(std::span<const std::uint32_t> packed_row, std::size_t cols, int bits,
                std::span<std::uint8_t> codes) {
  const char* op = "unpack_row";
  detail::check_format(op, AffineFormat{bits, 32}, cols);  // rows are whole 32-code blocks
  detail::check_size(op, "packed_row", packed_row.size(), packed_words_per_row(cols, bits));
  detail::check_size(op, "codes", codes.size(), cols);
  detail::dispatch_bits(bits, [&](auto b) {
    constexpr int Bits = decltype(b)::value;
    for (std::size_t block = 0; block < cols / detail::kBlockCodes; ++block) {
      detail::unpack_block<Bits>(packed_row.data() + block * Bits, codes.data() + block * detail::kBlockCodes);
    }
  });
}

namespace {

void check_matrix(const char* op, std::span<const std::uint32_t> packed, std::span<const float> scales,
                  std::span<const float> biases, std::size_t rows, std::size_t cols, AffineFormat format) {
  detail::check_format(op, format, cols);
  detail::check_size(op, "packed", packed.size(), rows * packed_words_per_row(cols, format.bits));
  detail::check_size(op, "scales", scales.size(), rows * groups_per_row(cols, format.group_size));
  detail::check_size(op, "biases", biases.size(), rows * groups_per_row(cols, format.group_size));
}

}  // namespace

void dequantize_rows(std::span<const std::uint32_t> packed, std::span<const float> scales,
                     std::span<const float> biases, std::size_t row_begin, std::size_t row_end, std::size_t cols,
                     AffineFormat format, std::span<float> out) {
  const char* op = "dequantize_rows";
  detail::check_format(op, format, cols);
  const std::size_t words = packed_words_per_row(cols, format.bits);
  const std::size_t groups = groups_per_row(cols, format.group_size);
  const std::size_t rows = packed.size() / words;
  if (row_begin > row_end || row_end > rows) {
    fail("[{}] row range [{}, {}) is outside the matrix's {} rows", op, row_begin, row_end, rows);
  }
  check_matrix(op, packed, scales, biases, rows, cols, format);
  detail::check_size(op, "out", out.size(), (row_end - row_begin) * cols);
  detail::dispatch_bits(format.bits, [&](auto b) {
    constexpr int Bits = decltype(b)::value;
    for (std::size_t r = row_begin; r < row_end; ++r) {
      detail::dequantize_row<Bits>(packed.data() + r * words, scales.data() + r * groups, biases.data() + r * groups,
                                   cols, format.group_size, out.data() + (r - row_begin) * cols);
    }
  });
}

void dequantize_affine(std::span<const std::uint32_t> packed, std::span<const float> scales,
                       std::span<const float> biases, std::size_t rows, std::size_t cols, AffineFormat format,
                       std::span<float> out) {
  const char* op = "dequantize_affine";
  check_matrix(op, packed, scales, biases, rows, cols, format);
  detail::check_size(op, "out", out.size(), rows * cols);
  const std::size_t words = packed_words_per_row(cols, format.bits);
  const std::size_t groups = groups_per_row(cols, format.group_size);
  const auto row_count = static_cast<std::ptrdiff_t>(rows);
  const int threads = detail::thread_count(rows, rows * cols, 0);
  detail::dispatch_bits(format.bits, [&](auto b) {
    constexpr int Bits = decltype(b)::value;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (std::ptrdiff_t r = 0; r < row_count; ++r) {
      const auto row = static_cast<std::size_t>(r);
      detail::dequantize_row<Bits>(packed.data() + row * words, scales.data() + row * groups,
                                   biases.data() + row * groups, cols, format.group_size, out.data() + row * cols);
    }
  });
}

}  // namespace swan::quant
