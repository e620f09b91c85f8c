// Streaming safetensors writer: the header (all names, dtypes, shapes) is fixed up
// front, then tensor data is appended one tensor at a time in the declared order, so
// a model never has to be held in memory. The header is padded with spaces to a
// multiple of 8 bytes so every tensor starts 8-byte aligned. The bytes go out through
// OutputFile (early writeback, one set of error messages). Write errors (a full disk
// included) throw swan::Error naming the file; the caller removes partial output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "swan/core/dtype.h"
#include "swan/io/output_file.h"

namespace swan {

struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;

  std::uint64_t nbytes() const;
};

class SafetensorsWriter {
 public:
  SafetensorsWriter(const std::filesystem::path& path, std::vector<TensorSpec> tensors,
                    const std::map<std::string, std::string>& metadata);
  ~SafetensorsWriter();  // closes without syncing if finish() was not called
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  // Appends the data of the next tensor in declaration order; `name` and the byte
  // count must match the declaration.
  void write(std::string_view name, std::span<const std::byte> data);
  // Flushes and closes; throws if a tensor is missing or the disk refused the data.
  void finish();

  std::uint64_t total_bytes() const { return total_bytes_; }

 private:
  std::filesystem::path path_;
  std::vector<TensorSpec> tensors_;
  std::size_t next_ = 0;
  std::uint64_t total_bytes_ = 0;
  std::unique_ptr<OutputFile> file_;
};

}  // namespace swan
