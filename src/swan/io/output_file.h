// A large output file written front to back (a safetensors shard, a GGUF file), shared by
// every writer so that appending, error messages and the way bytes reach the disk are
// decided once.
//
// Why the writeback: a converter's output is smaller than the machine's dirty-page limits,
// so the kernel would hold all of it in the page cache and start writing only at the final
// fsync, which then waits for the whole file while the CPUs idle. Every kWritebackStep
// bytes appended, the range is handed to the disk (Linux sync_file_range, asynchronous),
// so the disk writes while the next tensors are quantized and the final fsync waits only
// for the tail. Elsewhere the hint is skipped and only the final fsync remains.
//
// Errors (a full disk included) throw swan::Error naming the file; removing a partial file
// is the caller's job (the writers stage outputs under temporary names).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string_view>

namespace swan {

class OutputFile {
 public:
  static constexpr std::uint64_t kWritebackStep = std::uint64_t{32} << 20;

  // Creates (truncates) `path`; hands every `writeback_step` bytes to the disk.
  explicit OutputFile(const std::filesystem::path& path, std::uint64_t writeback_step = kWritebackStep);
  ~OutputFile();  // closes without syncing if finish() was not called
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends `bytes`; `what` names them in an error ("tensor 'x'", "the header").
  void append(std::span<const std::byte> bytes, std::string_view what);
  // Flushes, fsyncs and closes: when it returns, the bytes are on the disk.
  void finish();

  std::uint64_t bytes_written() const { return bytes_written_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  void start_writeback();

  std::filesystem::path path_;
  std::uint64_t writeback_step_;
  std::FILE* file_ = nullptr;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t written_back_ = 0;  // bytes already handed to the disk
};

}  // namespace swan
