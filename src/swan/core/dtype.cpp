#include "swan/core/dtype.h"

#include <array>
#include <cstring>
#include <utility>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"

namespace swan {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
  std::string_view torch_name;
};

constexpr std::array<DTypeInfo, 17> kDTypes{{
    {DType::F64, "F64", 8, "torch.float64"},       {DType::F32, "F32", 4, "torch.float32"},
    {DType::F16, "F16", 2, "torch.float16"},       {DType::BF16, "BF16", 2, "torch.bfloat16"},
    {DType::I64, "I64", 8, "torch.int64"},         {DType::I32, "I32", 4, "torch.int32"},
    {DType::I16, "I16", 2, "torch.int16"},         {DType::I8, "I8", 1, "torch.int8"},
    {DType::U64, "U64", 8, "torch.uint64"},        {DType::U32, "U32", 4, "torch.uint32"},
    {DType::U16, "U16", 2, "torch.uint16"},        {DType::U8, "U8", 1, "torch.uint8"},
    {DType::BOOL, "BOOL", 1, "torch.bool"},        {DType::F8_E4M3, "F8_E4M3", 1, "torch.float8_e4m3fn"},
    {DType::F8_E5M2, "F8_E5M2", 1, "torch.float8_e5m2"}, {DType::F8_E8M0, "F8_E8M0", 1, "torch.float8_e8m0fnu"},
    {DType::C64, "C64", 8, "torch.complex64"},
}};

const DTypeInfo& info(DType dtype) { return kDTypes[static_cast<std::size_t>(dtype)]; }

}  // namespace

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& entry : kDTypes)
    if (entry.name == name) return entry.dtype;
  return std::nullopt;
}

std::string_view dtype_name(DType dtype) { return info(dtype).name; }
std::size_t dtype_size(DType dtype) { return info(dtype).size; }
std::string torch_dtype_name(DType dtype) { return std::string(info(dtype).torch_name); }

bool is_float_weight_dtype(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

void convert_to_float(DType dtype, std::span<const std::byte> bytes, std::span<float> out) {
  SWAN_CHECK(bytes.size() == out.size() * dtype_size(dtype), "size mismatch for {}", dtype_name(dtype));
  const std::size_t n = out.size();
  switch (dtype) {
    case DType::F32:
      std::memcpy(out.data(), bytes.data(), n * 4);
      return;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, bytes.data() + 2 * i, 2);
        out[i] = bf16_to_float(bits);
      }
      return;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, bytes.data() + 2 * i, 2);
        out[i] = fp16_to_float(bits);
      }
      return;
    default:
      fail("cannot read {} tensor data as numbers (only F32, F16 and BF16 are supported)", dtype_name(dtype));
  }
}

void convert_from_float(std::span<const float> values, DType dtype, std::span<std::byte> out) {
  SWAN_CHECK(out.size() == values.size() * dtype_size(dtype), "size mismatch for {}", dtype_name(dtype));
  const std::size_t n = values.size();
  switch (dtype) {
    case DType::F32:
      std::memcpy(out.data(), values.data(), n * 4);
      return;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t bits = float_to_bf16(values[i]);
        std::memcpy(out.data() + 2 * i, &bits, 2);
      }
      return;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint16_t bits = float_to_fp16(values[i]);
        std::memcpy(out.data() + 2 * i, &bits, 2);
      }
      return;
    default:
      fail("cannot write float values as {}", dtype_name(dtype));
  }
}

}  // namespace swan
