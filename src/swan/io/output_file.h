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
// Direct mode (OutputFile::Direct, Linux): the bytes bypass the page cache (O_DIRECT). The
// kernel's copy of every byte into freshly allocated page-cache pages cost ~1.2 CPU-s per GB
// written on this machine, as much as a tenth of a GGUF conversion's CPU time; a direct
// write is a copy into one reused, aligned staging buffer of kDirectChunk bytes, and the
// disk reads from it. Each write then waits for the disk, so use it from a background
// thread (io/write_behind.h). A file system that refuses O_DIRECT (tmpfs, or an alignment
// it does not accept) gets the buffered mode instead, with the same bytes.
//
// Errors (a full disk included) throw swan::Error naming the file; removing a partial file
// is the caller's job (the writers stage outputs under temporary names).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

namespace swan {

class OutputFile {
 public:
  static constexpr std::uint64_t kWritebackStep = std::uint64_t{32} << 20;
  static constexpr std::size_t kDirectChunk = std::size_t{8} << 20;
  struct Direct {};

  // Creates (truncates) `path`; hands every `writeback_step` bytes to the disk.
  explicit OutputFile(const std::filesystem::path& path, std::uint64_t writeback_step = kWritebackStep);
  // Creates (truncates) `path` for direct writes (see above).
  OutputFile(const std::filesystem::path& path, Direct);
  ~OutputFile();  // closes without syncing if finish() was not called
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends `bytes`; `what` names them in an error ("tensor 'x'", "the header").
  void append(std::span<const std::byte> bytes, std::string_view what);
  // Flushes, fsyncs and closes: when it returns, the bytes are on the disk.
  void finish();

  std::uint64_t bytes_written() const { return bytes_written_; }
  const std::filesystem::path& path() const { return path_; }
  // True while the bytes bypass the page cache (direct mode that the file system accepted).
  bool direct() const { return fd_ >= 0 && direct_; }

 private:
  struct FreeStaging {
    void operator()(std::byte* p) const;
  };
  static constexpr std::size_t kDirectAlignment = 4096;  // covers every common logical block size
  void start_writeback();
  // Direct mode: staging_[0, length) at the file's end (`what`: for an error message).
  void write_staged(std::size_t length, std::string_view what);
  [[noreturn]] void fail_write(std::string_view what, int error) const;

  std::filesystem::path path_;
  std::uint64_t writeback_step_;
  std::FILE* file_ = nullptr;  // buffered mode
  int fd_ = -1;                // direct mode
  bool direct_ = false;        // O_DIRECT still set on fd_
  std::unique_ptr<std::byte, FreeStaging> staging_;
  std::size_t staged_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::uint64_t written_back_ = 0;  // bytes already handed to the disk
};

}  // namespace swan
