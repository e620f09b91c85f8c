// Bounds-checked GGUF parsing; see reader.h.
#include "swan/gguf/reader.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <set>

#include "swan/core/error.h"

namespace swan::gguf {
namespace {

constexpr std::uint64_t kMaxStringBytes = std::uint64_t{1} << 30;  // llama.cpp's limits
constexpr std::uint64_t kMaxArrayElements = std::uint64_t{1} << 30;

class Cursor {
 public:
  Cursor(std::span<const std::byte> image, const std::string& name) : image_(image), name_(name) {}

  std::uint64_t offset() const { return at_; }
  std::uint64_t remaining() const { return image_.size() - at_; }

  [[noreturn]] void bad(const std::string& what) const {
    fail("{}: not a valid GGUF file at byte {}: {}", name_, at_, what);
  }

  template <typename T>
  T read(const char* what) {
    if (remaining() < sizeof(T)) bad(fmt::format("the file ends inside {}", what));
    T value;
    std::memcpy(&value, image_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }

  std::string read_string(const char* what) {
    const auto size = read<std::uint64_t>(what);
    if (size > kMaxStringBytes) bad(fmt::format("{} claims {} bytes (limit 1 GiB)", what, size));
    if (size > remaining()) bad(fmt::format("{} of {} bytes runs past the end of the file", what, size));
    std::string s(reinterpret_cast<const char*>(image_.data() + at_), static_cast<std::size_t>(size));
    at_ += size;
    return s;
  }

 private:
  std::span<const std::byte> image_;
  const std::string& name_;
  std::uint64_t at_ = 0;
};

// Bytes the smallest encoding of one element of `type` takes (a string: its length field).
std::uint64_t min_bytes(ValueType type) {
  switch (type) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    default: return 8;
  }
}

Scalar read_scalar(Cursor& in, ValueType type, const std::string& key) {
  switch (type) {
    case ValueType::UINT8: return in.read<std::uint8_t>("a UINT8 value");
    case ValueType::INT8: return in.read<std::int8_t>("an INT8 value");
    case ValueType::UINT16: return in.read<std::uint16_t>("a UINT16 value");
    case ValueType::INT16: return in.read<std::int16_t>("an INT16 value");
    case ValueType::UINT32: return in.read<std::uint32_t>("a UINT32 value");
    case ValueType::INT32: return in.read<std::int32_t>("an INT32 value");
    case ValueType::FLOAT32: return in.read<float>("a FLOAT32 value");
    case ValueType::UINT64: return in.read<std::uint64_t>("a UINT64 value");
    case ValueType::INT64: return in.read<std::int64_t>("an INT64 value");
    case ValueType::FLOAT64: return in.read<double>("a FLOAT64 value");
    case ValueType::BOOL: {
      const auto b = in.read<std::uint8_t>("a BOOL value");
      if (b > 1) in.bad(fmt::format("key '{}': BOOL value {} is neither 0 nor 1", key, b));
      return b == 1;
    }
    case ValueType::STRING: return in.read_string("a string value");
    case ValueType::ARRAY: break;
  }
  in.bad(fmt::format("key '{}': nested arrays are not allowed", key));
}

ValueType read_type(Cursor& in, const std::string& key) {
  const auto id = in.read<std::int32_t>("a value type");
  const auto type = value_type_from_id(id);
  if (!type) in.bad(fmt::format("key '{}' has unknown value type {}", key, id));
  return *type;
}

Value read_value(Cursor& in, const std::string& key) {
  Value value;
  value.type = read_type(in, key);
  if (value.type != ValueType::ARRAY) {
    value.scalar = read_scalar(in, value.type, key);
    return value;
  }
  value.element_type = read_type(in, key);
  if (value.element_type == ValueType::ARRAY) in.bad(fmt::format("key '{}': nested arrays are not allowed", key));
  const auto count = in.read<std::uint64_t>("an array length");
  if (count > kMaxArrayElements) in.bad(fmt::format("key '{}': array of {} elements (limit 2^30)", key, count));
  if (count > in.remaining() / min_bytes(value.element_type))
    in.bad(fmt::format("key '{}': array of {} elements runs past the end of the file", key, count));
  value.elements.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) value.elements.push_back(read_scalar(in, value.element_type, key));
  return value;
}

}  // namespace

GgufContents parse_gguf(std::span<const std::byte> image, const std::string& name) {
  Cursor in(image, name);
  GgufContents out;
  if (in.read<std::uint32_t>("the magic") != kMagic) in.bad("the magic is not \"GGUF\"");
  out.version = in.read<std::uint32_t>("the version");
  if ((out.version & 0xffffu) == 0) in.bad(fmt::format("version {:#x} looks byte-swapped (big-endian file?)", out.version));
  if (out.version < 2 || out.version > 3)
    in.bad(fmt::format("version {} is not supported (swan reads GGUF versions 2 and 3)", out.version));
  const auto n_tensors = in.read<std::int64_t>("the tensor count");
  const auto n_kv = in.read<std::int64_t>("the key/value count");
  if (n_tensors < 0 || n_kv < 0) in.bad("negative tensor or key/value count");
  // Each record takes at least 8 (+ 4 + 1) bytes, which bounds what a count can claim.
  if (static_cast<std::uint64_t>(n_kv) > in.remaining() / 13) in.bad(fmt::format("{} key/value records cannot fit in the file", n_kv));

  std::set<std::string> keys;
  for (std::int64_t i = 0; i < n_kv; ++i) {
    std::string key = in.read_string("a key");
    if (key.empty()) in.bad("empty key");
    if (!keys.insert(key).second) in.bad(fmt::format("duplicate key '{}'", key));
    Value value = read_value(in, key);
    out.metadata.entries.emplace_back(std::move(key), std::move(value));
  }
  if (const Value* a = out.metadata.find("general.alignment")) {
    if (a->type != ValueType::UINT32) in.bad(fmt::format("general.alignment must be UINT32, is {}", value_type_name(a->type)));
    const auto alignment = std::get<std::uint32_t>(a->scalar);
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) in.bad(fmt::format("general.alignment {} is not a power of two", alignment));
    out.alignment = alignment;
  }

  if (static_cast<std::uint64_t>(n_tensors) > in.remaining() / 28) in.bad(fmt::format("{} tensor records cannot fit in the file", n_tensors));
  std::set<std::string> names;
  std::uint64_t expected_offset = 0;
  for (std::int64_t i = 0; i < n_tensors; ++i) {
    TensorRecord t;
    t.name = in.read_string("a tensor name");
    if (t.name.size() > kMaxNameBytes) in.bad(fmt::format("tensor name '{}' is longer than {} bytes", t.name, kMaxNameBytes));
    if (!names.insert(t.name).second) in.bad(fmt::format("duplicate tensor '{}'", t.name));
    const auto n_dims = in.read<std::uint32_t>("a dimension count");
    if (n_dims < 1 || n_dims > kMaxDims) in.bad(fmt::format("tensor '{}' has {} dimensions (1 to 4 allowed)", t.name, n_dims));
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = in.read<std::int64_t>("a dimension");
      if (ne < 0) in.bad(fmt::format("tensor '{}' has negative dimension {}", t.name, ne));
      const auto u = static_cast<std::uint64_t>(ne);
      if (u != 0 && elements > std::numeric_limits<std::int64_t>::max() / u)
        in.bad(fmt::format("tensor '{}': element count overflows", t.name));
      elements *= u;
      t.ne.push_back(u);
    }
    const auto type_id = in.read<std::int32_t>("a tensor type");
    const auto type = type_id < 0 ? std::nullopt : quant::ggml_type_from_id(static_cast<std::uint32_t>(type_id));
    if (!type) in.bad(fmt::format("tensor '{}' has ggml type {}, which swan cannot read", t.name, type_id));
    t.type = *type;
    if (t.ne[0] % quant::block_elements(t.type) != 0)
      in.bad(fmt::format("tensor '{}': row length {} is not a multiple of the {} block size {}", t.name, t.ne[0],
                         quant::ggml_type_name(t.type), quant::block_elements(t.type)));
    t.offset = in.read<std::uint64_t>("a tensor offset");
    if (t.offset != expected_offset)
      in.bad(fmt::format("tensor '{}' has offset {}, expected {} (blobs must follow each other in record order)", t.name,
                         t.offset, expected_offset));
    const std::uint64_t blocks = elements / quant::block_elements(t.type);
    if (blocks > std::numeric_limits<std::uint64_t>::max() / 256) in.bad(fmt::format("tensor '{}' is too large", t.name));
    const std::uint64_t size = blocks * quant::block_bytes(t.type);
    if (size > image.size()) in.bad(fmt::format("tensor '{}' needs {} bytes, more than the whole file", t.name, size));
    expected_offset += pad_to(size, out.alignment);
    out.tensors.push_back(std::move(t));
  }
  out.data_offset = pad_to(in.offset(), out.alignment);
  if (out.data_offset > image.size() || expected_offset > image.size() - out.data_offset) {
    // llama.cpp's model loader only needs each blob inside the file; its reader wants the
    // padding of the last blob too. Accept the former, as the loader does.
    for (const auto& t : out.tensors)
      if (out.data_offset + t.offset + t.nbytes() > image.size())
        fail("{}: tensor '{}' (bytes {} to {} of the data section) lies past the end of the file ({} bytes); the file "
             "is truncated",
             name, t.name, t.offset, t.offset + t.nbytes(), image.size());
  }
  return out;
}

GgufFile::GgufFile(const std::filesystem::path& path) : mapped_(path), contents_(parse_gguf(mapped_.bytes(), path.string())) {}

const TensorRecord* GgufFile::find(std::string_view name) const {
  for (const auto& t : contents_.tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::span<const std::byte> GgufFile::data(const TensorRecord& tensor) const {
  return mapped_.bytes().subspan(static_cast<std::size_t>(contents_.data_offset + tensor.offset),
                                 static_cast<std::size_t>(tensor.nbytes()));
}

}  // namespace swan::gguf
