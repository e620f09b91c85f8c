// OutputFile: bytes round-trip across writeback boundaries, errors name the file, and the
// early writeback really leaves no dirty pages behind it (checked with Linux's cachestat,
// against a control file written without it on the same file system).
#include "swan/io/output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <vector>

#include "support/fixtures.h"
#include "swan/core/error.h"

namespace swan {
namespace {

std::vector<std::byte> pattern(std::size_t n, unsigned seed) {
  std::vector<std::byte> out(n);
  std::uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::byte>(x >> 24);
  }
  return out;
}

std::vector<std::byte> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

TEST(OutputFile, PiecesOfAnySizeRoundTripAcrossWritebackBoundaries) {
  test::ScratchDir dir;
  const auto data = pattern(300'000, 3);
  OutputFile out(dir / "f.bin", 4096);
  // Pieces smaller than, equal to and spanning many writeback steps.
  std::size_t at = 0;
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, std::size_t{4096}, std::size_t{70'001},
                              std::size_t{3}, std::size_t{221'804}}) {
    out.append(std::span(data).subspan(at, n), "a piece");
    at += n;
  }
  ASSERT_EQ(at, data.size());
  EXPECT_EQ(out.bytes_written(), data.size());
  out.finish();
  EXPECT_EQ(read_all(dir / "f.bin"), data);
  EXPECT_THROW(out.finish(), Error);
}

TEST(OutputFile, DirectPiecesOfAnySizeRoundTripAcrossStagingChunks) {
  test::ScratchDir dir;
  const std::size_t chunk = OutputFile::kDirectChunk;
  const auto data = pattern(2 * chunk + 12'345, 4);  // ends mid-block: padded, then cut
  OutputFile out(dir / "f.bin", OutputFile::Direct{});
  std::size_t at = 0;
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4095}, chunk - 4096, std::size_t{4096},
                              chunk + 3, std::size_t{7}}) {
    out.append(std::span(data).subspan(at, n), "a piece");
    at += n;
  }
  out.append(std::span(data).subspan(at), "the rest");
  EXPECT_EQ(out.bytes_written(), data.size());
  out.finish();
  EXPECT_EQ(std::filesystem::file_size(dir / "f.bin"), data.size());
  EXPECT_EQ(read_all(dir / "f.bin"), data);
  EXPECT_THROW(out.finish(), Error);
  EXPECT_THROW(out.append(std::span(data).first(1), "late"), Error);
}

TEST(OutputFile, DirectFileSmallerThanOneBlockKeepsItsSize) {
  test::ScratchDir dir;
  const auto data = pattern(100, 6);
  OutputFile out(dir / "f.bin", OutputFile::Direct{});
  out.append(data, "a header");
  out.finish();
  EXPECT_EQ(read_all(dir / "f.bin"), data);
}

TEST(OutputFile, AFullDiskNamesTheFileAndWhatWasBeingWritten) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const auto data = pattern(1 << 20, 5);
  try {
    OutputFile out("/dev/full", 1 << 16);
    out.append(data, "tensor 'w'");
    out.finish();
    FAIL() << "writing to /dev/full succeeded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("/dev/full"), std::string::npos) << message;
    EXPECT_NE(message.find("free some disk space"), std::string::npos) << message;
  }
}

TEST(OutputFile, AFullDiskInDirectModeNamesTheFile) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const auto data = pattern(OutputFile::kDirectChunk + 1, 5);
  try {
    OutputFile out("/dev/full", OutputFile::Direct{});
    out.append(data, "tensor 'w'");
    out.finish();
    FAIL() << "writing to /dev/full succeeded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("/dev/full"), std::string::npos) << message;
    EXPECT_NE(message.find("free some disk space"), std::string::npos) << message;
  }
}

TEST(OutputFile, CannotCreateAFileInAMissingDirectory) {
  test::ScratchDir dir;
  try {
    OutputFile out(dir / "missing" / "f.bin");
    FAIL() << "created a file in a missing directory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

#ifdef __linux__
// Linux's cachestat(2) (6.5+; glibc has no wrapper yet): page-cache state of a file range.
struct CacheStatRange {
  std::uint64_t offset, length;
};
struct CacheStat {
  std::uint64_t cache, dirty, writeback, evicted, recently_evicted;
};
constexpr long kCacheStatSyscall = 451;

// Dirty pages of the first `length` bytes of `path`, or -1 if the kernel cannot say.
long dirty_pages(const std::filesystem::path& path, std::uint64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  CacheStatRange range{0, length};
  CacheStat stat{};
  const long rc = ::syscall(kCacheStatSyscall, fd, &range, &stat, 0);
  ::close(fd);
  return rc == 0 ? static_cast<long>(stat.dirty) : -1;
}

TEST(OutputFile, HandsEachStepToTheDiskWhileWriting) {
  test::ScratchDir dir;
  const std::uint64_t step = 1 << 20;
  const auto data = pattern(5 * step / 2, 9);
  // Control: no writeback step is reached, so the kernel keeps the pages dirty until fsync.
  OutputFile control(dir / "control.bin", 1ull << 40);
  control.append(data, "data");
  const long control_dirty = dirty_pages(dir / "control.bin", 2 * step);
  if (control_dirty < 0) GTEST_SKIP() << "this kernel has no cachestat(2); the writeback cannot be observed";
  if (control_dirty == 0) GTEST_SKIP() << "this file system keeps no dirty pages; the writeback cannot be observed";
  OutputFile out(dir / "f.bin", step);
  out.append(data, "data");
  EXPECT_EQ(dirty_pages(dir / "f.bin", 2 * step), 0) << "the first two steps were not handed to the disk";
  out.finish();
  control.finish();
  EXPECT_EQ(read_all(dir / "f.bin"), data);
}

// Pages of the first `length` bytes of `path` in the page cache, or -1 if the kernel cannot say.
long cached_pages(const std::filesystem::path& path, std::uint64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  CacheStatRange range{0, length};
  CacheStat stat{};
  const long rc = ::syscall(kCacheStatSyscall, fd, &range, &stat, 0);
  ::close(fd);
  return rc == 0 ? static_cast<long>(stat.cache) : -1;
}

TEST(OutputFile, DirectModeBypassesThePageCache) {
  test::ScratchDir dir;
  const auto data = pattern(3 * OutputFile::kDirectChunk, 10);
  OutputFile control(dir / "control.bin");  // buffered: every page passes through the cache
  control.append(data, "data");
  control.finish();
  const long control_cached = cached_pages(dir / "control.bin", data.size());
  if (control_cached < 0) GTEST_SKIP() << "this kernel has no cachestat(2); the page cache cannot be observed";
  ASSERT_GT(control_cached, 0);
  OutputFile out(dir / "f.bin", OutputFile::Direct{});
  if (!out.direct()) GTEST_SKIP() << "the scratch file system refuses O_DIRECT; the buffered fallback was used";
  out.append(data, "data");
  out.finish();
  EXPECT_EQ(cached_pages(dir / "f.bin", data.size()), 0) << "direct writes went through the page cache";
  EXPECT_EQ(read_all(dir / "f.bin"), data);
}
#endif

}  // namespace
}  // namespace swan
