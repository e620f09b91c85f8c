#include "swan/tokenizer/tokenizer_config.h"

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/tokenizer/json_file.h"

namespace swan {
namespace {

std::optional<std::string> token_name(const nlohmann::json& config, const char* key,
                                      const std::filesystem::path& path) {
  if (!config.contains(key) || config[key].is_null()) return std::nullopt;
  const auto& value = config[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  fail("{}: \"{}\" must be a string, {{\"content\": ...}} or null, got {}", path.string(), key,
       json_excerpt(value));
}

}  // namespace

TokenizerConfig read_tokenizer_config(const std::filesystem::path& path) {
  TokenizerConfig config;
  if (!std::filesystem::exists(path)) return config;
  const auto json = read_tokenizer_json(path);
  if (!json.is_object()) fail("{}: expected a JSON object", path.string());
  if (json.contains("add_bos_token") && !json["add_bos_token"].is_null()) {
    if (!json["add_bos_token"].is_boolean()) {
      fail("{}: \"add_bos_token\" must be true or false", path.string());
    }
    config.add_bos_token = json["add_bos_token"].get<bool>();
  }
  config.bos_token = token_name(json, "bos_token", path);
  config.eos_token = token_name(json, "eos_token", path);
  return config;
}

}  // namespace swan
