#include "support/fixtures.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <random>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace swan::test {
namespace {

// Fixtures the repository already ships outside tests/fixtures (for the README's quick
// start), under their shared-layout names, so they are stored once.
struct Alias {
  std::string_view shared_name;
  std::string_view repository_path;
};
constexpr std::array kTopLevelCopies = {
    Alias{"models/qwen3-tiny-5.8m", "models/qwen3-tiny-5.8m"},
    Alias{"data/tinystories-valid-head/tinystories_valid_head100.txt", "data/tinystories_valid_head100.txt"},
};

std::optional<std::filesystem::path> in_repository(const std::string& relative) {
  const std::string_view name = relative;
  for (const auto& alias : kTopLevelCopies) {
    if (name == alias.shared_name) return source_dir() / alias.repository_path;
    if (name.starts_with(alias.shared_name) && name.size() > alias.shared_name.size() &&
        name[alias.shared_name.size()] == '/') {
      return source_dir() / alias.repository_path / name.substr(alias.shared_name.size() + 1);
    }
  }
  auto path = source_dir() / "tests" / "fixtures" / relative;
  if (std::filesystem::exists(path)) return path;
  return std::nullopt;
}

}  // namespace

std::filesystem::path source_dir() { return SWAN_SOURCE_DIR; }

std::filesystem::path shared_dir() {
  const char* overridden = std::getenv("SWAN_SHARED_DIR");
  if (overridden != nullptr && *overridden != '\0') return overridden;
  return SWAN_SHARED_DIR;
}

std::optional<std::filesystem::path> find_fixture(const std::string& relative) {
  if (auto path = in_repository(relative)) return path;
  auto shared = shared_dir() / relative;
  if (std::filesystem::exists(shared)) return shared;
  return std::nullopt;
}

std::filesystem::path fixture_path(const std::string& relative) {
  if (auto path = find_fixture(relative)) return *path;
  // Neither holds it: name the repository's place, so the test's error says where it belongs.
  return source_dir() / "tests" / "fixtures" / relative;
}

std::filesystem::path shared_path(const std::string& relative) { return fixture_path(relative); }

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
