#include "swan/io/safetensors_writer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "swan/core/error.h"

namespace swan {

std::uint64_t TensorSpec::nbytes() const {
  std::uint64_t count = 1;
  for (std::int64_t dim : shape) count *= static_cast<std::uint64_t>(dim);
  return count * dtype_size(dtype);
}

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorSpec> tensors,
                                     const std::map<std::string, std::string>& metadata)
    : path_(path), tensors_(std::move(tensors)) {
  nlohmann::json header = nlohmann::json::object();  // sorted keys, like MLX's writer
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& tensor : tensors_) {
    if (header.contains(tensor.name)) fail("{}: tensor '{}' declared twice", path_.string(), tensor.name);
    const std::uint64_t size = tensor.nbytes();
    header[tensor.name] = {{"dtype", std::string(dtype_name(tensor.dtype))},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep tensor data 8-byte aligned

  file_ = std::make_unique<OutputFile>(path_);
  std::byte length[8];
  std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) length[i] = static_cast<std::byte>((n >> (8 * i)) & 0xff);
  file_->append(length, "the header");
  file_->append(std::as_bytes(std::span(text)), "the header");
  total_bytes_ = 8 + text.size();
}

SafetensorsWriter::~SafetensorsWriter() = default;

void SafetensorsWriter::write(std::string_view name, std::span<const std::byte> data) {
  if (next_ >= tensors_.size()) fail("{}: tensor '{}' was not declared", path_.string(), name);
  const TensorSpec& expected = tensors_[next_];
  SWAN_CHECK(expected.name == name, "{}: expected tensor '{}' next, got '{}'", path_.string(), expected.name, name);
  SWAN_CHECK(expected.nbytes() == data.size(), "{}: tensor '{}' declared {} bytes, got {}", path_.string(), name,
             expected.nbytes(), data.size());
  file_->append(data, fmt::format("tensor '{}'", name));
  total_bytes_ += data.size();
  ++next_;
}

void SafetensorsWriter::finish() {
  if (next_ != tensors_.size())
    fail("{}: only {} of {} tensors were written", path_.string(), next_, tensors_.size());
  file_->finish();
}

}  // namespace swan
