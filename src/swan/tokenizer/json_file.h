// Reading the JSON files of a tokenizer (tokenizer.json, tokenizer_config.json) with error
// messages that name the file.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace swan {

// Throws swan::Error if the file cannot be read or is not valid JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace swan
