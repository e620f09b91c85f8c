// GGUF version 3, the file format of llama.cpp (spec: ../shared/specs/gguf-format.md §1).
// All numbers are little-endian; nothing is aligned except the data section.
//
//   offset 0   magic        4 bytes "GGUF"
//   offset 4   version      u32, 3 (the reader also takes 2, whose layout is the same)
//   offset 8   n_tensors    i64 (negative is invalid)
//   offset 16  n_kv         i64
//   offset 24  n_kv key/value records:
//                key        string (u64 byte length + UTF-8 bytes, no NUL), non-empty, unique
//                value_type i32 (ValueType below)
//                value      a scalar of that type, or for ARRAY: element type i32, count u64,
//                           then count elements back to back (arrays of arrays are invalid;
//                           BOOL is 1 byte, 0 or 1)
//              n_tensors tensor-info records:
//                name       string, at most 63 bytes, unique
//                n_dims     u32, 1..4
//                ne[n_dims] i64 each, fastest-varying first (ne[0] = row length; an HF
//                           [out, in] weight is ne = (in, out) with the same bytes)
//                type       i32, a ggml type id (quant/ggml_type.h); ne[0] must be a whole
//                           number of the type's blocks
//                offset     u64, relative to the data section
//              zero padding to a multiple of ALIGN, counted from the start of the file
//   data       the tensor blobs in tensor-info order, each padded with zeros to a multiple of
//              ALIGN, the last one too; llama.cpp requires offset == the running sum of the
//              padded sizes before it, so there are no gaps and no reordering
//
// ALIGN is the UINT32 value of "general.alignment" (a power of two) or 32 if absent.
// llama.cpp reads metadata strictly typed: a count must be UINT32, a float FLOAT32, a flag
// BOOL; writers here use exactly those types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "swan/quant/ggml_type.h"

namespace swan::gguf {

inline constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr std::uint32_t kVersion = 3;
inline constexpr std::uint64_t kDefaultAlignment = 32;
inline constexpr std::size_t kMaxNameBytes = 63;
inline constexpr std::size_t kMaxDims = 4;
inline constexpr int kQuantizationVersion = 2;  // GGML_QNT_VERSION

enum class ValueType : std::int32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

std::string_view value_type_name(ValueType type);
std::optional<ValueType> value_type_from_id(std::int32_t id);

// One scalar: the variant alternative matches the value type (UINT8 -> std::uint8_t, ...,
// BOOL -> bool, STRING -> std::string, FLOAT32 -> float, FLOAT64 -> double).
using Scalar = std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t, std::int32_t, float,
                            bool, std::string, std::uint64_t, std::int64_t, double>;

struct Value {
  ValueType type = ValueType::UINT32;
  Scalar scalar;                         // when type != ARRAY
  ValueType element_type = ValueType::UINT32;  // when type == ARRAY
  std::vector<Scalar> elements;          // when type == ARRAY

  static Value u32(std::uint32_t v) { return {ValueType::UINT32, v, {}, {}}; }
  static Value i32(std::int32_t v) { return {ValueType::INT32, v, {}, {}}; }
  static Value f32(float v) { return {ValueType::FLOAT32, v, {}, {}}; }
  static Value boolean(bool v) { return {ValueType::BOOL, v, {}, {}}; }
  static Value string(std::string v) { return {ValueType::STRING, std::move(v), {}, {}}; }
  static Value array(ValueType element_type, std::vector<Scalar> elements) {
    return {ValueType::ARRAY, std::uint32_t{0}, element_type, std::move(elements)};
  }
};

bool operator==(const Value& a, const Value& b);
// Short display form: scalars as text, arrays as "[TYPE x N]" with their first items.
std::string format_value(const Value& value);

// Metadata in file order (the order is part of the file and of llama.cpp's output).
struct Metadata {
  std::vector<std::pair<std::string, Value>> entries;

  const Value* find(std::string_view key) const;
  void set(std::string key, Value value);  // replaces in place, or appends
  void erase(std::string_view key);
  // The value of `key` if it is a scalar of exactly this type, else nullopt.
  std::optional<std::uint32_t> get_u32(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
};

struct TensorRecord {
  std::string name;
  std::vector<std::uint64_t> ne;  // ggml order, ne[0] = row length
  quant::GgmlType type = quant::GgmlType::F32;
  std::uint64_t offset = 0;  // relative to the data section

  std::uint64_t elements() const;
  std::uint64_t row_length() const { return ne.empty() ? 1 : ne[0]; }
  std::uint64_t rows() const;  // elements / row length
  std::uint64_t nbytes() const;
};

inline std::uint64_t pad_to(std::uint64_t n, std::uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

}  // namespace swan::gguf
