// Element types as safetensors names them, with their sizes. Only F32, F16 and BF16
// are read as numbers; every other type is carried through byte for byte.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace swan {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2, F8_E8M0, C64 };

std::optional<DType> parse_dtype(std::string_view name);
std::string_view dtype_name(DType dtype);
std::size_t dtype_size(DType dtype);
bool is_float_weight_dtype(DType dtype);  // F32, F16, BF16: the types swan reads as numbers
// torch's spelling, which SWAN's reference manifest records ("torch.bfloat16").
std::string torch_dtype_name(DType dtype);

// Widens F32/F16/BF16 raw little-endian bytes to float32 (exact). `bytes` holds
// `out.size()` elements of `dtype`; other dtypes throw.
void convert_to_float(DType dtype, std::span<const std::byte> bytes, std::span<float> out);
// Narrows float32 to F32/F16/BF16 bytes, round-to-nearest-even.
void convert_from_float(std::span<const float> values, DType dtype, std::span<std::byte> out);

}  // namespace swan
