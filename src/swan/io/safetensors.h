// safetensors reader.
//
// File layout (https://github.com/huggingface/safetensors):
//   1. bytes [0, 8): N, the header length, unsigned 64-bit little-endian.
//   2. bytes [8, 8+N): a UTF-8 JSON object. Each key except "__metadata__" names a
//      tensor: {"dtype": "BF16", "shape": [d0, d1, ...], "data_offsets": [begin, end]}.
//      "__metadata__", if present, maps strings to strings. Trailing spaces are allowed.
//   3. bytes [8+N, EOF): the data region; offsets are relative to its start, tensors are
//      row-major little-endian and may appear in any order.
//
// The header is untrusted. Parsing checks: 2 <= N <= 100,000,000 and 8+N <= file size;
// the header is valid UTF-8 JSON and an object; every tensor has a known dtype, a shape
// of non-negative integers whose element count does not overflow, and data_offsets
// with begin <= end <= data size and end - begin == elements * dtype size; no two
// tensors overlap; __metadata__ is a map of strings. Any violation throws swan::Error
// naming the file, the tensor and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "swan/core/dtype.h"
#include "swan/io/mapped_file.h"

namespace swan {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t data_begin = 0;  // relative to the start of the data region
  std::uint64_t nbytes = 0;

  std::int64_t num_elements() const;
};

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;  // in the order the header lists them
  std::map<std::string, std::string> metadata;
  std::uint64_t data_offset = 0;  // absolute file offset of the data region (8 + N)
};

// Validates and parses the header of a complete safetensors file held in `file_bytes`.
// `label` names the file in error messages. Pure: no I/O (the fuzz target calls it).
SafetensorsHeader parse_safetensors_header(std::span<const std::byte> file_bytes, const std::string& label);

class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path);  // maps and validates

  const std::filesystem::path& path() const { return file_.path(); }
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const TensorInfo* find(std::string_view name) const;  // nullptr if absent
  const TensorInfo& at(std::string_view name) const;    // throws if absent

  std::span<const std::byte> data(const TensorInfo& tensor) const;
  // The 8-byte length and the JSON header, as stored (identifies the file's layout cheaply).
  std::span<const std::byte> header_bytes() const { return file_.bytes().first(header_.data_offset); }
  std::uint64_t file_size() const { return file_.bytes().size(); }
  // Widens an F32/F16/BF16 tensor to float32 (exact); throws for other dtypes.
  void read_float(const TensorInfo& tensor, std::span<float> out) const;
  std::vector<float> read_float(const TensorInfo& tensor) const;
  // Drops the tensor's pages from this process's resident set once it has been used.
  void release(const TensorInfo& tensor) const;
  // Same for the bytes [offset, offset + length) of the tensor's data (streaming in bands).
  void release(const TensorInfo& tensor, std::uint64_t offset, std::uint64_t length) const;

 private:
  MappedFile file_;
  SafetensorsHeader header_;
};

}  // namespace swan
