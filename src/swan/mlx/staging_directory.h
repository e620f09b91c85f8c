// Atomic replacement of an output directory: everything is written into a hidden temp
// directory beside OUT_DIR (same filesystem, so the final rename is atomic) and renamed
// into place only by commit(). If the object dies uncommitted — any error, a full disk
// included — the temp directory is removed, so a failed run leaves neither a partial
// OUT_DIR nor a temp dir. An existing OUT_DIR is refused unless it is empty or `force`;
// it is never the input model directory (or inside it, or around it).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string_view>

namespace swan::mlx {

// The PID that owns a hidden sibling `name` of OUT_DIR `out_name` (".<out>.swan-tmp-<pid>-<n>"
// or ".<out>.swan-old-<pid>-<n>"), or nullopt if `name` is not one. A sibling whose owner is
// gone is debris of a killed run; the next run into the same OUT_DIR removes it.
std::optional<pid_t> staging_owner_pid(std::string_view name, std::string_view out_name);

class StagingDirectory {
 public:
  // Checks `out_dir` (see above) against `input_dir` and creates the temp directory.
  StagingDirectory(const std::filesystem::path& out_dir, const std::filesystem::path& input_dir, bool force);
  ~StagingDirectory();
  StagingDirectory(const StagingDirectory&) = delete;
  StagingDirectory& operator=(const StagingDirectory&) = delete;

  const std::filesystem::path& path() const { return temp_; }
  // Moves the finished directory to OUT_DIR (replacing an existing one).
  void commit();

 private:
  std::filesystem::path out_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

}  // namespace swan::mlx
