// Streaming GGUF writer (format.h): metadata and every tensor record are fixed up front, so
// the header is written first and the blobs follow one tensor at a time in record order,
// each padded to the alignment (the last one too, as llama.cpp's reader wants). The file is
// written beside its destination under a temporary name and renamed into place by
// commit(); an uncommitted writer (any error, a full disk included) removes the temporary
// file, so a failed run never leaves a partial output. An existing destination is refused
// unless `force`. The bytes go out through OutputFile (direct writes, past the page cache).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "swan/gguf/format.h"
#include "swan/io/output_file.h"

namespace swan::gguf {

struct TensorDeclaration {
  std::string name;
  std::vector<std::uint64_t> ne;  // ggml order
  quant::GgmlType type = quant::GgmlType::F32;
};

// The whole header (up to the data section) for these declarations, with offsets assigned.
std::vector<std::byte> encode_header(const Metadata& metadata, const std::vector<TensorDeclaration>& tensors,
                                     std::vector<TensorRecord>* records = nullptr);

class GgufWriter {
 public:
  GgufWriter(const std::filesystem::path& path, const Metadata& metadata, std::vector<TensorDeclaration> tensors,
             bool force);
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // Appends the next tensor's data in declaration order (name and size must match).
  void write(std::string_view name, std::span<const std::byte> data);
  // Appends the next piece of the next tensor's data, so a large tensor can be written while
  // the rest of it is computed; the tensor is complete (and padded) when its pieces add up
  // to its declared size. Throws if they would exceed it.
  void write_piece(std::string_view name, std::span<const std::byte> piece);
  // Flushes, syncs and renames the file into place; throws if a tensor is missing.
  void commit();

  const std::vector<TensorRecord>& records() const { return records_; }
  std::uint64_t bytes_written() const { return file_ ? file_->bytes_written() : bytes_written_; }

 private:
  void put(std::span<const std::byte> bytes, std::string_view what);
  const TensorRecord& next_record(std::string_view name) const;  // throws unless `name` is next

  std::filesystem::path path_;
  std::filesystem::path temp_;
  std::vector<TensorRecord> records_;
  std::uint64_t alignment_ = kDefaultAlignment;
  std::size_t next_ = 0;
  std::uint64_t piece_bytes_ = 0;  // of tensor next_ written so far
  std::uint64_t bytes_written_ = 0;
  std::unique_ptr<OutputFile> file_;
  bool committed_ = false;
};

}  // namespace swan::gguf
