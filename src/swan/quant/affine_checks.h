// Internal to quant/: argument validation shared by the affine kernels, so that every entry
// point rejects a bad format or a wrongly sized span with the same MLX-style message
// ("[quantize_affine] ...") before touching memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "swan/core/dtype.h"
#include "swan/quant/affine.h"

namespace swan::quant::detail {

// Throws unless bits/group_size are allowed (spec §3) and cols is a positive multiple of group_size.
void check_format(const char* op, AffineFormat format, std::size_t cols);
// Throws unless scale_dtype is F16, BF16 or F32.
void check_scale_dtype(const char* op, DType scale_dtype);
// Throws unless `actual` == `expected` elements, naming the argument.
void check_size(const char* op, const char* what, std::size_t actual, std::size_t expected);
// Throws unless column_weights is empty (uniform) or holds cols finite values, each positive
// and at most 2^20: then every weighted least-squares sum stays finite in float32.
void check_column_weights(const char* op, std::span<const float> column_weights, std::size_t cols);

}  // namespace swan::quant::detail
