// NaN/Inf detection for weights before quantization: MLX's quantizer does not handle them
// (spec §1.4), so callers reject such a tensor first and name it in the error.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

namespace swan::quant {

// Index of the first NaN or ±Inf in `values`, or nullopt if all are finite.
std::optional<std::size_t> first_non_finite(std::span<const float> values);

}  // namespace swan::quant
