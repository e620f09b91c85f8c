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

}  // namespace swan::quant::detail
