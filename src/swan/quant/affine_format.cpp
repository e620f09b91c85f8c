// Allowed affine parameters (spec §3), packed sizes and argument checks.
#include <fmt/format.h>

#include "swan/core/error.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_checks.h"

namespace swan::quant {

bool is_supported(AffineFormat format) {
  const bool bits_ok = format.bits == 2 || format.bits == 3 || format.bits == 4 || format.bits == 5 ||
                       format.bits == 6 || format.bits == 8;
  const bool group_ok = format.group_size == 32 || format.group_size == 64 || format.group_size == 128;
  return bits_ok && group_ok;
}

std::size_t packed_words_per_row(std::size_t cols, int bits) { return cols * static_cast<std::size_t>(bits) / 32; }

std::size_t groups_per_row(std::size_t cols, int group_size) { return cols / static_cast<std::size_t>(group_size); }

std::uint64_t affine_storage_bytes(std::uint64_t elements, AffineFormat format, std::size_t scale_bytes) {
  const std::uint64_t groups = elements / static_cast<std::uint64_t>(format.group_size);
  return elements * static_cast<std::uint64_t>(format.bits) / 8 + 2 * groups * scale_bytes;
}

namespace detail {

void check_format(const char* op, AffineFormat format, std::size_t cols) {
  if (format.bits != 2 && format.bits != 3 && format.bits != 4 && format.bits != 5 && format.bits != 6 &&
      format.bits != 8) {
    fail("[{}] {} bits are not supported by MLX affine quantization; use 2, 3, 4, 5, 6 or 8", op, format.bits);
  }
  if (format.group_size != 32 && format.group_size != 64 && format.group_size != 128) {
    fail("[{}] group size {} is not supported; use 32, 64 or 128", op, format.group_size);
  }
  if (cols == 0 || cols % static_cast<std::size_t>(format.group_size) != 0) {
    fail("[{}] the last dimension ({}) must be a positive multiple of the group size ({}); leave such a tensor "
         "unquantized or choose another group size",
         op, cols, format.group_size);
  }
}

void check_scale_dtype(const char* op, DType scale_dtype) {
  if (scale_dtype != DType::F16 && scale_dtype != DType::BF16 && scale_dtype != DType::F32) {
    fail("[{}] scales/biases dtype {} is not supported; use F16, BF16 or F32 (the weight's dtype)", op,
         dtype_name(scale_dtype));
  }
}

void check_size(const char* op, const char* what, std::size_t actual, std::size_t expected) {
  if (actual != expected) fail("[{}] `{}` holds {} elements but the shape needs {}", op, what, actual, expected);
}

void check_column_weights(const char* op, std::span<const float> column_weights, std::size_t cols) {
  if (column_weights.empty()) return;
  check_size(op, "column_weights", column_weights.size(), cols);
  constexpr float kMaxColumnWeight = 1048576.0f;  // 2^20
  for (std::size_t c = 0; c < cols; ++c) {
    const float w = column_weights[c];
    if (!(w > 0.0f && w <= kMaxColumnWeight))
      fail("[{}] column weight {} is {}; column weights must be finite, positive and at most 2^20", op, c, w);
  }
}

}  // namespace detail
}  // namespace swan::quant
