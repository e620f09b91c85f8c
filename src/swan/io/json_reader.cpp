#include "swan/io/json_reader.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include "swan/core/error.h"
#include "swan/io/input_file.h"

namespace swan {
namespace fs = std::filesystem;

void check_json_limits(std::string_view text, std::string_view where, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    fail("{}: {} bytes of JSON exceed swan's limit of {} bytes", where, text.size(), limits.max_bytes);
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limits.max_depth)
        fail("{}: JSON nests deeper than {} levels (at byte {}); no file swan reads needs that, so it is refused",
             where, limits.max_depth, i);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;  // unbalanced input is the parser's to report
    }
  }
}

template <typename Json>
Json parse_within_limits(std::string_view text, std::string_view where, const JsonLimits& limits) {
  check_json_limits(text, where, limits);
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    fail("{} is not valid JSON: {}", where, e.what());
  }
}

nlohmann::ordered_json parse_json(std::string_view text, std::string_view where, const JsonLimits& limits) {
  return parse_within_limits<nlohmann::ordered_json>(text, where, limits);
}

nlohmann::json parse_unordered_json(std::string_view text, std::string_view where, const JsonLimits& limits) {
  return parse_within_limits<nlohmann::json>(text, where, limits);
}

std::string read_json_text(const fs::path& path, const JsonLimits& limits) {
  return read_regular_file(path, "JSON file", limits.max_bytes);
}

nlohmann::ordered_json read_json_file(const fs::path& path) { return parse_json(read_json_text(path), path.string()); }

nlohmann::json read_unordered_json_file(const fs::path& path) {
  return parse_unordered_json(read_json_text(path), path.string());
}

}  // namespace swan
