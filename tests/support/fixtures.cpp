#include "support/fixtures.h"

#include <atomic>
#include <random>
#include <system_error>
#include <unistd.h>

namespace swan::test {

std::filesystem::path shared_dir() { return SWAN_SHARED_DIR; }
std::filesystem::path shared_path(const std::string& relative) { return shared_dir() / relative; }
std::filesystem::path source_dir() { return SWAN_SOURCE_DIR; }

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  std::random_device entropy;
  path_ = std::filesystem::temp_directory_path() /
          ("swan-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(entropy()));
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace swan::test
