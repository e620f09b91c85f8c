// GGUF value and tensor-record helpers; see format.h.
#include "swan/gguf/format.h"

#include <fmt/format.h>

#include "swan/core/error.h"

namespace swan::gguf {

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::UINT8: return "UINT8";
    case ValueType::INT8: return "INT8";
    case ValueType::UINT16: return "UINT16";
    case ValueType::INT16: return "INT16";
    case ValueType::UINT32: return "UINT32";
    case ValueType::INT32: return "INT32";
    case ValueType::FLOAT32: return "FLOAT32";
    case ValueType::BOOL: return "BOOL";
    case ValueType::STRING: return "STRING";
    case ValueType::ARRAY: return "ARRAY";
    case ValueType::UINT64: return "UINT64";
    case ValueType::INT64: return "INT64";
    case ValueType::FLOAT64: return "FLOAT64";
  }
  return "?";
}

std::optional<ValueType> value_type_from_id(std::int32_t id) {
  if (id < 0 || id > 12) return std::nullopt;
  return static_cast<ValueType>(id);
}

bool operator==(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  if (a.type != ValueType::ARRAY) return a.scalar == b.scalar;
  return a.element_type == b.element_type && a.elements == b.elements;
}

namespace {
std::string format_scalar(const Scalar& s) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) return fmt::format("\"{}\"", v);
        else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::uint8_t> || std::is_same_v<T, std::int8_t>) return fmt::format("{}", static_cast<int>(v));
        else return fmt::format("{}", v);
      },
      s);
}
}  // namespace

std::string format_value(const Value& value) {
  if (value.type != ValueType::ARRAY) return format_scalar(value.scalar);
  std::string out = fmt::format("[{} x {}", value_type_name(value.element_type), value.elements.size());
  for (std::size_t i = 0; i < std::min<std::size_t>(3, value.elements.size()); ++i)
    out += (i == 0 ? ": " : ", ") + format_scalar(value.elements[i]);
  if (value.elements.size() > 3) out += ", ...";
  return out + "]";
}

const Value* Metadata::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

void Metadata::set(std::string key, Value value) {
  for (auto& [k, v] : entries)
    if (k == key) {
      v = std::move(value);
      return;
    }
  entries.emplace_back(std::move(key), std::move(value));
}

void Metadata::erase(std::string_view key) {
  std::erase_if(entries, [&](const auto& e) { return e.first == key; });
}

std::optional<std::uint32_t> Metadata::get_u32(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr || v->type != ValueType::UINT32) return std::nullopt;
  return std::get<std::uint32_t>(v->scalar);
}

std::optional<std::string> Metadata::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr || v->type != ValueType::STRING) return std::nullopt;
  return std::get<std::string>(v->scalar);
}

std::uint64_t TensorRecord::elements() const {
  std::uint64_t n = 1;
  for (const auto d : ne) n *= d;
  return n;
}

std::uint64_t TensorRecord::rows() const {
  const std::uint64_t row = row_length();
  return row == 0 ? 0 : elements() / row;
}

std::uint64_t TensorRecord::nbytes() const {
  return quant::bytes_for(type, static_cast<std::size_t>(row_length())) * rows();
}

}  // namespace swan::gguf
