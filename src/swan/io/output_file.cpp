// Front-to-back output file with early writeback; see output_file.h.
#include "swan/io/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

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

OutputFile::OutputFile(const std::filesystem::path& path, Direct) : path_(path), writeback_step_(kWritebackStep) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
#ifdef O_DIRECT
  fd_ = ::open(path_.c_str(), kFlags | O_DIRECT, 0666);
  direct_ = fd_ >= 0;
  if (fd_ < 0 && errno == EINVAL) fd_ = ::open(path_.c_str(), kFlags, 0666);  // no O_DIRECT here
#else
  fd_ = ::open(path_.c_str(), kFlags, 0666);
#endif
  if (fd_ < 0) fail("cannot create {}: {}", path_.string(), std::strerror(errno));
  void* staging = std::aligned_alloc(kDirectAlignment, kDirectChunk);
  if (staging == nullptr) {
    ::close(fd_);
    throw std::bad_alloc();
  }
  staging_.reset(static_cast<std::byte*>(staging));
}

void OutputFile::FreeStaging::operator()(std::byte* p) const { std::free(p); }

OutputFile::~OutputFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (fd_ >= 0) ::close(fd_);
}

void OutputFile::fail_write(std::string_view what, int error) const {
  fail("cannot write {} to {}: {}{}", what, path_.string(), std::strerror(error), disk_hint(error));
}

void OutputFile::write_staged(std::size_t length, std::string_view what) {
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::write(fd_, staging_.get() + done, length - done);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
#ifdef O_DIRECT
    // An alignment this file system does not accept (or an odd partial write before):
    // the rest goes through the page cache, same bytes.
    if (errno == EINVAL && direct_) {
      const int flags = ::fcntl(fd_, F_GETFL);
      if (flags >= 0 && ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) == 0) {
        direct_ = false;
        continue;
      }
    }
#endif
    fail_write(what, errno);
  }
#ifdef __linux__
  if (!direct_) {  // the early writeback of the buffered mode (see the header)
    const auto end = static_cast<off_t>(bytes_written_ - staged_ + length);
    ::sync_file_range(fd_, end - static_cast<off_t>(length), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
  }
#endif
}

void OutputFile::append(std::span<const std::byte> bytes, std::string_view what) {
  if (fd_ >= 0) {
    while (!bytes.empty()) {
      const std::size_t n = std::min(bytes.size(), kDirectChunk - staged_);
      std::memcpy(staging_.get() + staged_, bytes.data(), n);
      staged_ += n;
      bytes_written_ += n;
      bytes = bytes.subspan(n);
      if (staged_ == kDirectChunk) {
        write_staged(kDirectChunk, what);
        staged_ = 0;
      }
    }
    return;
  }
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
  if (fd_ >= 0) {
    if (staged_ > 0) {
      // A direct write is whole aligned blocks: the tail is padded, then cut off again.
      const std::size_t padded = (staged_ + kDirectAlignment - 1) / kDirectAlignment * kDirectAlignment;
      std::memset(staging_.get() + staged_, 0, padded - staged_);
      write_staged(padded, "the end of the file");
      staged_ = 0;
    }
    const bool done = ::ftruncate(fd_, static_cast<off_t>(bytes_written_)) == 0 && ::fsync(fd_) == 0;
    const int error = errno;
    const bool closed = ::close(fd_) == 0;
    fd_ = -1;
    staging_.reset();
    if (!done || !closed) {
      const int reported = done ? errno : error;
      fail("cannot finish writing {}: {}{}", path_.string(), std::strerror(reported), disk_hint(reported));
    }
    return;
  }
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
