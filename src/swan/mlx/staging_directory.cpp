// Temp-dir-then-rename output directories; see staging_directory.h.
#include "swan/mlx/staging_directory.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include "swan/core/error.h"

namespace swan::mlx {
namespace fs = std::filesystem;

namespace {
bool is_within(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

fs::path sibling(const fs::path& out, const char* tag) {
  static std::atomic<int> counter{0};
  // fmt rather than string concatenation: GCC 12 emits a false -Wrestrict for the latter.
  return out.parent_path() / fmt::format(".{}.{}-{}-{}", out.filename().string(), tag, ::getpid(), counter++);
}

// A run killed outright (SIGKILL, power loss) cannot clean up after itself. Its hidden temp
// directory carries its PID; once that process is gone, the next run into the same OUT_DIR
// removes the leftover so debris never accumulates.
void remove_abandoned_siblings(const fs::path& out) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(out.parent_path(), ec)) {
    const auto pid = staging_owner_pid(entry.path().filename().string(), out.filename().string());
    if (!pid || *pid == ::getpid() || (::kill(*pid, 0) == 0 || errno != ESRCH)) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
  }
}
}  // namespace

std::optional<pid_t> staging_owner_pid(std::string_view name, std::string_view out_name) {
  // ".<out_name>.swan-<tmp|old>-<pid>-<counter>", as sibling() writes it. The PID is read
  // after this exact prefix, so an OUT_DIR whose own name contains "swan-" parses the same.
  const std::string head = fmt::format(".{}.", out_name);
  if (!name.starts_with(head)) return std::nullopt;
  name.remove_prefix(head.size());
  if (!name.starts_with("swan-tmp-") && !name.starts_with("swan-old-")) return std::nullopt;
  name.remove_prefix(std::string_view("swan-tmp-").size());
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (error != std::errc{} || pid <= 0 || end == name.data() + name.size() || *end != '-') return std::nullopt;
  std::uint64_t counter = 0;
  const auto [counter_end, counter_error] = std::from_chars(end + 1, name.data() + name.size(), counter);
  if (counter_error != std::errc{} || counter_end != name.data() + name.size()) return std::nullopt;
  return pid;
}

StagingDirectory::StagingDirectory(const fs::path& out_dir, const fs::path& input_dir, bool force) {
  std::error_code ec;
  out_ = fs::weakly_canonical(fs::absolute(out_dir));
  if (out_.filename().empty()) out_ = out_.parent_path();  // "out/" -> "out"
  const fs::path input = fs::weakly_canonical(fs::absolute(input_dir));
  if (is_within(out_, input) || is_within(input, out_))
    fail("output directory {} overlaps the input model directory {}; choose a directory outside it",
         out_dir.string(), input_dir.string());
  if (fs::exists(out_)) {
    if (!fs::is_directory(out_)) fail("output path {} exists and is not a directory", out_dir.string());
    if (!fs::is_empty(out_) && !force)
      fail("output directory {} exists and is not empty; pass --force to replace it", out_dir.string());
  }
  fs::create_directories(out_.parent_path(), ec);
  if (ec) fail("cannot create {}: {}", out_.parent_path().string(), ec.message());
  remove_abandoned_siblings(out_);
  temp_ = sibling(out_, "swan-tmp");
  fs::create_directory(temp_, ec);
  if (ec) fail("cannot create temporary directory {}: {}", temp_.string(), ec.message());
}

StagingDirectory::~StagingDirectory() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(temp_, ignored);
}

void StagingDirectory::commit() {
  SWAN_CHECK(!committed_, "{} committed twice", out_.string());
  std::error_code ec;
  fs::path old;
  if (fs::exists(out_)) {  // move the old directory aside first so a failed rename can be undone
    old = sibling(out_, "swan-old");
    fs::rename(out_, old, ec);
    if (ec) fail("cannot move the existing {} aside: {}", out_.string(), ec.message());
  }
  fs::rename(temp_, out_, ec);
  if (ec) {
    if (!old.empty()) {
      std::error_code ignored;
      fs::rename(old, out_, ignored);
    }
    fail("cannot move the finished output into {}: {}", out_.string(), ec.message());
  }
  committed_ = true;
  if (!old.empty()) {
    fs::remove_all(old, ec);
    if (ec) fail("wrote {}, but could not remove the replaced directory {}: {}", out_.string(), old.string(), ec.message());
  }
}

}  // namespace swan::mlx
