#include "swan/io/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "swan/core/error.h"

namespace swan {

void write_file_atomically(const std::filesystem::path& path, std::string_view contents, std::string_view what) {
  // Same directory as the target so the rename is atomic; a crash leaves the old file intact.
  const std::filesystem::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create {} to write {} (is the directory writable?)", temp.string(), what);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      fail("writing {} to {} failed (disk full?)", what, temp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    fail("cannot move {} into place at {}: {}", what, path.string(), ec.message());
  }
}

}  // namespace swan
