// The one way swan reads JSON from untrusted input (config.json, tokenizer files, indexes,
// manifests, plans, safetensors headers): bounded in size and nesting depth before the
// parser runs, refusing anything that is not a regular file, and naming the file in every
// error.
//
// Why a depth limit: a file of 100,000 nested '[' parses, but copying, dumping or destroying
// the resulting value recurses once per level and overflows the stack. No JSON file swan
// reads nests deeper than a few levels; 256 leaves ample room.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

namespace swan {

struct JsonLimits {
  std::size_t max_depth = 256;
  std::uint64_t max_bytes = std::uint64_t{512} << 20;  // tokenizer.json of the largest vocabularies is ~35 MB
};

// Throws swan::Error naming `where` if `text` nests deeper than `limits.max_depth` (arrays and
// objects; brackets inside strings do not count) or is longer than `limits.max_bytes`.
void check_json_limits(std::string_view text, std::string_view where, const JsonLimits& limits = {});

// Parses `text` within the limits; `where` names its source in errors.
nlohmann::ordered_json parse_json(std::string_view text, std::string_view where, const JsonLimits& limits = {});
// The same into nlohmann::json (hash-map objects: fast for a 150k-entry vocabulary).
nlohmann::json parse_unordered_json(std::string_view text, std::string_view where, const JsonLimits& limits = {});

// Reads a regular file (not a FIFO, device or directory) of at most `limits.max_bytes`.
std::string read_json_text(const std::filesystem::path& path, const JsonLimits& limits = {});

// read_json_text + parse_json / parse_unordered_json.
nlohmann::ordered_json read_json_file(const std::filesystem::path& path);
nlohmann::json read_unordered_json_file(const std::filesystem::path& path);

}  // namespace swan
