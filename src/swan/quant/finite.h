// NaN/Inf detection for weights before quantization: MLX's quantizer does not handle them
// (spec §1.4), so callers reject such a tensor first and name it in the error.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "swan/core/dtype.h"

namespace swan::quant {

// Index of the first NaN or ±Inf in `values`, or nullopt if all are finite.
std::optional<std::size_t> first_non_finite(std::span<const float> values);

// convert_to_float(dtype, bytes, out), returning whether every value is finite. For BF16
// (checkpoints' usual dtype) the exponent test is made on each 16-bit pattern as it is
// widened, in the same pass, instead of a second pass over the float32 values (which cost
// ~2 % of a GGUF conversion's CPU time); other dtypes are converted, then checked.
bool convert_to_float_all_finite(DType dtype, std::span<const std::byte> bytes, std::span<float> out);

}  // namespace swan::quant
