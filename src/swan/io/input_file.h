// Input files swan reads whole (JSON, tokenizer models, chat templates) must be regular
// files: a FIFO or a device would block the reader forever or feed it without end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace swan {

// Throws swan::Error naming `path` unless it is an existing regular file (symlinks followed).
// `what` says what the file is for ("tokenizer model", "JSON file").
void require_regular_file(const std::filesystem::path& path, std::string_view what);

// require_regular_file, then the whole file, at most `max_bytes` of it (else an error).
std::string read_regular_file(const std::filesystem::path& path, std::string_view what, std::uint64_t max_bytes);

}  // namespace swan
