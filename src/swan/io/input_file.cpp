#include "swan/io/input_file.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include "swan/core/error.h"

namespace swan {
namespace fs = std::filesystem;

void require_regular_file(const fs::path& path, std::string_view what) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail("cannot open {}: check that the file exists and is readable", path.string());
  if (!fs::is_regular_file(status))
    fail("{} is not a regular file (a FIFO, device or directory); give swan the {} itself", path.string(), what);
}

std::string read_regular_file(const fs::path& path, std::string_view what, std::uint64_t max_bytes) {
  require_regular_file(path, what);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) fail("cannot read {}: {}", path.string(), ec.message());
  if (size > max_bytes)
    fail("{} is {} bytes, more than swan's limit of {} bytes for a {}", path.string(), size, max_bytes, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}: check that the file is readable", path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("cannot read {}", path.string());
  return text;
}

}  // namespace swan
