// Paths to the read-only shared fixtures and scratch directories for tests.
#pragma once

#include <filesystem>
#include <string>

namespace swan::test {

// ../shared (goldens, models, data), read-only.
std::filesystem::path shared_dir();
std::filesystem::path shared_path(const std::string& relative);
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
