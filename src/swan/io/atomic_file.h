// Writing a small file so that readers see the old file or the whole new one, never half:
// write a temporary file beside the target, then rename it over the target.
#pragma once

#include <filesystem>
#include <string_view>

namespace swan {

// `what` names the content in error messages ("the manifest", "the plan").
void write_file_atomically(const std::filesystem::path& path, std::string_view contents, std::string_view what);

}  // namespace swan
