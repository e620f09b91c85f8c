// Reading the JSON files of a tokenizer (tokenizer.json, tokenizer_config.json) with error
// messages that name the file. Parses into nlohmann::json (hash map objects), not io's
// ordered_json: a 150k-entry vocabulary object would make ordered_json's linear-search
// inserts quadratic.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace swan {

// Throws swan::Error if the file cannot be read or is not valid JSON.
nlohmann::json read_tokenizer_json(const std::filesystem::path& path);

}  // namespace swan
