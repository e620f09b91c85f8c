// GGUF reader: parses and validates a whole file image (format.h) with the checks
// llama.cpp's gguf.cpp applies, so a file swan accepts is one llama.cpp's container
// parser accepts too. Every read is bounds-checked: hostile input throws swan::Error
// naming the file, the byte offset and what was wrong; it never reads outside the image.
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "swan/gguf/format.h"
#include "swan/io/mapped_file.h"

namespace swan::gguf {

struct GgufContents {
  std::uint32_t version = kVersion;
  Metadata metadata;
  std::vector<TensorRecord> tensors;  // in file order
  std::uint64_t alignment = kDefaultAlignment;
  std::uint64_t data_offset = 0;  // start of the data section in the file
};

// `name` is used in error messages only.
GgufContents parse_gguf(std::span<const std::byte> image, const std::string& name);

// A mapped GGUF file: parsed on open, tensor data served straight from the mapping.
class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return mapped_.path(); }
  const GgufContents& contents() const { return contents_; }
  const Metadata& metadata() const { return contents_.metadata; }
  const std::vector<TensorRecord>& tensors() const { return contents_.tensors; }
  const TensorRecord* find(std::string_view name) const;
  std::span<const std::byte> data(const TensorRecord& tensor) const;
  std::uint64_t file_size() const { return mapped_.bytes().size(); }

 private:
  MappedFile mapped_;
  GgufContents contents_;
};

}  // namespace swan::gguf
