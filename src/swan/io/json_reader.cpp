#include "swan/io/json_reader.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include "swan/core/error.h"

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
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) fail("cannot open {}: check that the file exists and is readable", path.string());
  if (!fs::is_regular_file(status))
    fail("{} is not a regular file (a FIFO, device or directory); give swan the JSON file itself", path.string());
  const auto size = fs::file_size(path, ec);
  if (ec) fail("cannot read {}: {}", path.string(), ec.message());
  if (size > limits.max_bytes)
    fail("{} is {} bytes, more than swan's limit of {} bytes for a JSON file", path.string(), size, limits.max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}: check that the file is readable", path.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail("cannot read {}", path.string());
  return text;
}

nlohmann::ordered_json read_json_file(const fs::path& path) { return parse_json(read_json_text(path), path.string()); }

nlohmann::json read_unordered_json_file(const fs::path& path) {
  return parse_unordered_json(read_json_text(path), path.string());
}

}  // namespace swan
