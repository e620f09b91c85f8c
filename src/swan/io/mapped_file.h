// Read-only memory mapping of a whole file (RAII). swan never writes through a
// mapping, so an input model is never modified.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace swan {

class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);  // throws swan::Error naming the file
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::filesystem::path& path() const { return path_; }
  // Tells the kernel a byte range will not be read again soon (keeps RSS bounded
  // while streaming a model larger than memory).
  void release(std::size_t offset, std::size_t length) const;

 private:
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace swan
