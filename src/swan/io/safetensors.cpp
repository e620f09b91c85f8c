#include "swan/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/io/json_reader.h"

namespace swan {
namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;  // same limit as MLX and HF readers

std::uint64_t read_u64_le(const std::byte* p) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<std::uint8_t>(p[i]);
  return value;
}

// Strict JSON array of non-negative integers that fit in int64.
std::vector<std::uint64_t> read_unsigned_array(const nlohmann::ordered_json& value, const std::string& label,
                                               const std::string& tensor, const char* field) {
  if (!value.is_array()) fail("{}: tensor {}: \"{}\" must be an array of integers", label, text_excerpt(tensor), field);
  std::vector<std::uint64_t> out;
  out.reserve(value.size());
  for (const auto& element : value) {
    if (element.is_number_unsigned()) {
      out.push_back(element.get<std::uint64_t>());
    } else if (element.is_number_integer() && element.get<std::int64_t>() >= 0) {
      out.push_back(static_cast<std::uint64_t>(element.get<std::int64_t>()));
    } else {
      fail("{}: tensor {}: \"{}\" must contain non-negative integers, found {}", label, text_excerpt(tensor), field,
           json_excerpt(element));
    }
  }
  return out;
}

TensorInfo parse_tensor_entry(const std::string& name, const nlohmann::ordered_json& entry,
                              std::uint64_t data_size, const std::string& label) {
  if (!entry.is_object()) fail("{}: tensor {}: entry must be a JSON object", label, text_excerpt(name));
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!entry.contains(key)) fail("{}: tensor {}: missing \"{}\"", label, text_excerpt(name), key);
  if (!entry["dtype"].is_string()) fail("{}: tensor {}: \"dtype\" must be a string", label, text_excerpt(name));
  const std::string dtype_text = entry["dtype"].get<std::string>();
  const auto dtype = parse_dtype(dtype_text);
  if (!dtype) fail("{}: tensor {}: unknown dtype {}", label, text_excerpt(name), text_excerpt(dtype_text));

  TensorInfo info;
  info.name = name;
  info.dtype = *dtype;
  std::uint64_t elements = 1;
  for (std::uint64_t dim : read_unsigned_array(entry["shape"], label, text_excerpt(name), "shape")) {
    if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        (dim != 0 && elements > std::numeric_limits<std::uint64_t>::max() / dim))
      fail("{}: tensor {}: shape element count overflows", label, text_excerpt(name));
    elements *= dim;
    info.shape.push_back(static_cast<std::int64_t>(dim));
  }
  const std::uint64_t element_size = dtype_size(*dtype);
  if (elements > std::numeric_limits<std::uint64_t>::max() / element_size)
    fail("{}: tensor {}: byte size overflows", label, text_excerpt(name));

  const auto offsets = read_unsigned_array(entry["data_offsets"], label, text_excerpt(name), "data_offsets");
  if (offsets.size() != 2) fail("{}: tensor {}: \"data_offsets\" must have exactly 2 entries", label, text_excerpt(name));
  const std::uint64_t begin = offsets[0], end = offsets[1];
  if (begin > end) fail("{}: tensor {}: data_offsets begin {} > end {}", label, text_excerpt(name), begin, end);
  if (end > data_size)
    fail("{}: tensor {}: data_offsets end {} lies beyond the data region ({} bytes); the file may be truncated",
         label, text_excerpt(name), end, data_size);
  if (end - begin != elements * element_size)
    fail("{}: tensor {}: data_offsets span {} bytes but shape {} of {} needs {}", label, text_excerpt(name), end - begin,
         json_excerpt(entry["shape"]), dtype_text, elements * element_size);
  for (const auto& key : entry.items())
    if (key.key() != "dtype" && key.key() != "shape" && key.key() != "data_offsets")
      fail("{}: tensor {}: unexpected key {}", label, text_excerpt(name), text_excerpt(key.key()));
  info.data_begin = begin;
  info.nbytes = end - begin;
  return info;
}

}  // namespace

std::int64_t TensorInfo::num_elements() const {
  std::int64_t count = 1;
  for (std::int64_t dim : shape) count *= dim;
  return count;
}

SafetensorsHeader parse_safetensors_header(std::span<const std::byte> file_bytes, const std::string& label) {
  if (file_bytes.size() < 8)
    fail("{}: not a safetensors file: {} bytes, too short for the 8-byte header length", label, file_bytes.size());
  const std::uint64_t header_size = read_u64_le(file_bytes.data());
  if (header_size < 2) fail("{}: header length {} is too small (at least 2 bytes: \"{{}}\")", label, header_size);
  if (header_size > kMaxHeaderBytes)
    fail("{}: header length {} exceeds the 100 MB limit; the file is corrupt or not safetensors", label, header_size);
  if (header_size > file_bytes.size() - 8)
    fail("{}: header length {} runs past the end of the {}-byte file; the file is truncated", label, header_size,
         file_bytes.size());

  const char* text = reinterpret_cast<const char*>(file_bytes.data() + 8);
  nlohmann::ordered_json header;
  check_json_limits(std::string_view(text, header_size), fmt::format("{}: header", label));
  try {
    // nlohmann validates UTF-8 in strings while parsing.
    header = nlohmann::ordered_json::parse(text, text + header_size);
  } catch (const nlohmann::json::exception& e) {
    fail("{}: header is not valid UTF-8 JSON: {}", label, e.what());
  }
  if (!header.is_object()) fail("{}: header must be a JSON object, found {}", label, header.type_name());

  SafetensorsHeader result;
  result.data_offset = 8 + header_size;
  const std::uint64_t data_size = file_bytes.size() - result.data_offset;
  for (const auto& item : header.items()) {
    if (item.key() == "__metadata__") {
      if (!item.value().is_object()) fail("{}: \"__metadata__\" must be an object of strings", label);
      for (const auto& meta : item.value().items()) {
        if (!meta.value().is_string())
          fail("{}: \"__metadata__\" value for \"{}\" must be a string", label, meta.key());
        result.metadata[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    result.tensors.push_back(parse_tensor_entry(item.key(), item.value(), data_size, label));
  }

  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(result.tensors.size());
  for (const auto& tensor : result.tensors)
    if (tensor.nbytes > 0) by_offset.push_back(&tensor);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->data_begin < b->data_begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& previous = *by_offset[i - 1];
    if (previous.data_begin + previous.nbytes > by_offset[i]->data_begin)
      fail("{}: tensors {} and {} overlap in the data region", label, text_excerpt(previous.name), text_excerpt(by_offset[i]->name));
  }
  return result;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path)
    : file_(path), header_(parse_safetensors_header(file_.bytes(), path.string())) {}

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
  for (const auto& tensor : header_.tensors)
    if (tensor.name == name) return &tensor;
  return nullptr;
}

const TensorInfo& SafetensorsFile::at(std::string_view name) const {
  if (const TensorInfo* tensor = find(name)) return *tensor;
  fail("{}: no tensor named '{}'", path().string(), name);
}

std::span<const std::byte> SafetensorsFile::data(const TensorInfo& tensor) const {
  return file_.bytes().subspan(header_.data_offset + tensor.data_begin, tensor.nbytes);
}

void SafetensorsFile::read_float(const TensorInfo& tensor, std::span<float> out) const {
  if (!is_float_weight_dtype(tensor.dtype))
    fail("{}: tensor {} has dtype {}; only F32, F16 and BF16 can be read as numbers", path().string(),
         tensor.name, dtype_name(tensor.dtype));
  SWAN_CHECK(out.size() == static_cast<std::size_t>(tensor.num_elements()), "buffer size for {}", tensor.name);
  convert_to_float(tensor.dtype, data(tensor), out);
}

std::vector<float> SafetensorsFile::read_float(const TensorInfo& tensor) const {
  std::vector<float> out(static_cast<std::size_t>(tensor.num_elements()));
  read_float(tensor, out);
  return out;
}

void SafetensorsFile::release(const TensorInfo& tensor) const { release(tensor, 0, tensor.nbytes); }

void SafetensorsFile::release(const TensorInfo& tensor, std::uint64_t offset, std::uint64_t length) const {
  SWAN_CHECK(offset <= tensor.nbytes && length <= tensor.nbytes - offset, "release range of '{}'", tensor.name);
  file_.release(header_.data_offset + tensor.data_begin + offset, length);
}

}  // namespace swan
