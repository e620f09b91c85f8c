// Where tests find their fixtures, and scratch directories for tests.
//
// Fixtures are named by their path in the project's shared fixture layout
// ("models/stories260k", "golden/mlx/manifest.json", ...). They resolve inside the repository
// (tests/fixtures/, or the copies the repository ships at its top level), so a fresh clone
// runs its tests with nothing beside it. tests/fixtures/README.md says where each file comes
// from; scripts/make_test_fixtures.py rebuilds the folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace swan::test {

// The fixture `relative` inside the repository. Falls back to the shared fixture folder
// (shared_dir()) for a fixture the repository does not ship, so a test that needs one fails
// or skips where the folder is out of reach instead of passing by accident.
std::filesystem::path fixture_path(const std::string& relative);
// The same lookup under its historical name (tests call shared_path("models/stories260k")).
std::filesystem::path shared_path(const std::string& relative);

// The project's full shared fixture folder: $SWAN_SHARED_DIR, else ../shared beside the
// checkout. Only for fixtures too big to ship; use fixture_path() for everything else.
std::filesystem::path shared_dir();
// A fixture from the repository or the shared folder, or nullopt if neither holds it.
std::optional<std::filesystem::path> find_fixture(const std::string& relative);

// The repository root.
std::filesystem::path source_dir();

// A fresh empty directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace swan::test

// Declares `const std::filesystem::path variable` for a fixture that may be absent, or skips
// the test loudly (GTEST_SKIP, counted by ctest and by .ci/run) saying which file is missing
// and how to provide it.
#define SWAN_REQUIRE_FIXTURE(variable, relative)                                                   \
  const auto variable##_found = ::swan::test::find_fixture(relative);                              \
  if (!variable##_found) {                                                                         \
    GTEST_SKIP() << "needs fixture '" << (relative) << "', which is too big to ship in the "      \
                 << "repository; set SWAN_SHARED_DIR to the project's shared fixture folder "     \
                 << "(default " << ::swan::test::shared_dir().string() << ") to run this test";   \
  }                                                                                                \
  const std::filesystem::path variable = *variable##_found
