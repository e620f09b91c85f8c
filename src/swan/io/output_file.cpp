// Front-to-back output file with early writeback; see output_file.h.
#include "swan/io/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "swan/core/error.h"

namespace swan {
namespace {

std::string disk_hint(int error) {
  return error == ENOSPC ? " (free some disk space or choose another output directory)" : "";
}

}  // namespace

OutputFile::OutputFile(const std::filesystem::path& path, std::uint64_t writeback_step)
    : path_(path), writeback_step_(std::max<std::uint64_t>(writeback_step, 1)) {
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) fail("cannot create {}: {}", path_.string(), std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void OutputFile::append(std::span<const std::byte> bytes, std::string_view what) {
  SWAN_CHECK(file_ != nullptr, "{}: appending {} after finish()", path_.string(), what);
  while (!bytes.empty()) {
    // Up to the next writeback boundary, so a large tensor reaches the disk as it goes.
    const std::uint64_t room = writeback_step_ - (bytes_written_ - written_back_);
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), room));
    if (std::fwrite(bytes.data(), 1, n, file_) != n)
      fail("cannot write {} to {}: {}{}", what, path_.string(), std::strerror(errno), disk_hint(errno));
    bytes_written_ += n;
    bytes = bytes.subspan(n);
    if (bytes_written_ - written_back_ >= writeback_step_) start_writeback();
  }
}

void OutputFile::start_writeback() {
  if (std::fflush(file_) != 0)
    fail("cannot write to {}: {}{}", path_.string(), std::strerror(errno), disk_hint(errno));
#ifdef __linux__
  // Only a hint: a file system or device that cannot start it early (a pipe, /dev/full)
  // still gets everything at the fsync in finish(), which reports any error.
  ::sync_file_range(::fileno(file_), static_cast<off_t>(written_back_),
                    static_cast<off_t>(bytes_written_ - written_back_), SYNC_FILE_RANGE_WRITE);
#endif
  written_back_ = bytes_written_;
}

void OutputFile::finish() {
  SWAN_CHECK(file_ != nullptr, "{} finished twice", path_.string());
  // fflush/fsync surface delayed errors such as a full disk.
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int error = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed || !closed) {
    const int reported = flushed ? errno : error;
    fail("cannot finish writing {}: {}{}", path_.string(), std::strerror(reported), disk_hint(reported));
  }
}

}  // namespace swan
