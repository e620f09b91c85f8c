// ggml type table; see ggml_type.h.
#include "swan/quant/ggml_type.h"

#include <array>
#include <cctype>

#include "swan/core/error.h"

namespace swan::quant {
namespace {

struct TypeInfo {
  GgmlType type;
  std::string_view name;
  std::size_t block_elements;
  std::size_t block_bytes;
};

// Sizes from the block structs of ggml-common.h (spec §4 table).
constexpr std::array<TypeInfo, 13> kTypes{{
    {GgmlType::F32, "F32", 1, 4},
    {GgmlType::F16, "F16", 1, 2},
    {GgmlType::Q4_0, "Q4_0", 32, 18},
    {GgmlType::Q4_1, "Q4_1", 32, 20},
    {GgmlType::Q5_0, "Q5_0", 32, 22},
    {GgmlType::Q5_1, "Q5_1", 32, 24},
    {GgmlType::Q8_0, "Q8_0", 32, 34},
    {GgmlType::Q2_K, "Q2_K", 256, 84},
    {GgmlType::Q3_K, "Q3_K", 256, 110},
    {GgmlType::Q4_K, "Q4_K", 256, 144},
    {GgmlType::Q5_K, "Q5_K", 256, 176},
    {GgmlType::Q6_K, "Q6_K", 256, 210},
    {GgmlType::BF16, "BF16", 1, 2},
}};

constexpr std::array<GgmlType, kTypes.size()> kTypeList = [] {
  std::array<GgmlType, kTypes.size()> list{};
  for (std::size_t i = 0; i < kTypes.size(); ++i) list[i] = kTypes[i].type;
  return list;
}();

const TypeInfo& info(GgmlType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t;
  fail("ggml type id {} is not one swan supports", static_cast<std::uint32_t>(type));
}

}  // namespace

std::span<const GgmlType> ggml_types() { return kTypeList; }

std::string_view ggml_type_name(GgmlType type) { return info(type).name; }

std::optional<GgmlType> parse_ggml_type(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::toupper(static_cast<unsigned char>(name[i])) == t.name[i];
    if (same) return t.type;
  }
  return std::nullopt;
}

std::optional<GgmlType> ggml_type_from_id(std::uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<std::uint32_t>(t.type) == id) return t.type;
  return std::nullopt;
}

std::size_t block_elements(GgmlType type) { return info(type).block_elements; }
std::size_t block_bytes(GgmlType type) { return info(type).block_bytes; }
bool is_block_quantized(GgmlType type) { return info(type).block_elements > 1; }

std::size_t bytes_for(GgmlType type, std::size_t elements) {
  const TypeInfo& t = info(type);
  if (elements % t.block_elements != 0)
    fail("{} elements are not a whole number of {} blocks ({} elements each)", elements, t.name, t.block_elements);
  return elements / t.block_elements * t.block_bytes;
}

double bits_per_weight(GgmlType type) {
  const TypeInfo& t = info(type);
  return static_cast<double>(t.block_bytes * 8) / static_cast<double>(t.block_elements);
}

}  // namespace swan::quant
