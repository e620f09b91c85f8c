// Baselines for the benchmarks: the time merely to read every weight byte of a model
// (mmap + touch each byte, as any tool must), and optionally to also write the same
// number of bytes to disk (the floor for a converter).
//
//   read_baseline MODEL_DIR [--write OUT_FILE BYTES]
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>
#include <unistd.h>

#include "swan/io/model_directory.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: read_baseline MODEL_DIR [--write OUT_FILE BYTES]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  swan::ModelDirectory model(argv[1]);
  std::uint64_t checksum = 0, bytes = 0;
  for (const auto& tensor : model.tensors()) {
    const auto data = model.file(tensor).data(*tensor.info);
    const auto* words = reinterpret_cast<const std::uint64_t*>(data.data());
    const std::size_t n = data.size() / 8;
    for (std::size_t i = 0; i < n; ++i) checksum += words[i];
    bytes += data.size();
    model.file(tensor).release(*tensor.info);
  }
  const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double write_seconds = 0;
  if (argc >= 5 && std::string(argv[2]) == "--write") {
    const std::uint64_t to_write = std::stoull(argv[4]);
    const auto write_start = std::chrono::steady_clock::now();
    std::FILE* out = std::fopen(argv[3], "wb");
    std::vector<char> block(1 << 22, 1);
    for (std::uint64_t written = 0; written < to_write; written += block.size())
      std::fwrite(block.data(), 1, std::min<std::uint64_t>(block.size(), to_write - written), out);
    std::fflush(out);
    fsync(fileno(out));
    std::fclose(out);
    write_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
    // Removed after the clock stops: on a file system mounted with `discard` (this machine's
    // ext4) unlinking a 1 GB file issues synchronous discards that take ~0.65 s, which is
    // not writing; the converters' outputs are removed outside their timing too.
    std::remove(argv[3]);
  }
  fmt::print("{{\"bytes\": {}, \"read_seconds\": {:.3f}, \"write_seconds\": {:.3f}, \"checksum\": {}}}\n", bytes,
             read_seconds, write_seconds, checksum % 1000);
  return 0;
}
