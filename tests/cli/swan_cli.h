// What every CLI test needs: run the swan binary under test, read back a file it wrote.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/process.h"

namespace swan::test {

inline ProcessResult swan(std::vector<std::string> args) {
  args.insert(args.begin(), SWAN_BINARY);
  return run_process(args);
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace swan::test
