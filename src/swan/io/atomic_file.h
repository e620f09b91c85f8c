// Writing a small file so that readers see the old file or the whole new one, never half:
// write a temporary file beside the target, then rename it over the target.
#pragma once

#include <filesystem>
#include <span>
#include <string_view>

namespace swan {

// `what` names the content in error messages ("the manifest", "the plan").
void write_file_atomically(const std::filesystem::path& path, std::string_view contents, std::string_view what);

// No command writes over what it reads. Throws swan::Error (naming `what`, the output and
// the input) when writing `output` would replace or delete an input: `output` is one of the
// `inputs`, a file directly inside a directory input (a shard, config.json, a tokenizer
// file), or a directory that holds an input. Paths are compared after resolving symlinks
// and "..", so another spelling of the same file is caught.
void require_output_apart_from_inputs(const std::filesystem::path& output, std::span<const std::filesystem::path> inputs,
                                      std::string_view what);

}  // namespace swan
