#include "swan/io/json_excerpt.h"

#include <fmt/format.h>

namespace swan {

namespace {
template <typename Json>
std::string excerpt_of(const Json& value, std::size_t max_chars) {
  if (value.is_string()) return text_excerpt(value.template get_ref<const std::string&>(), max_chars);
  if (value.is_array()) return fmt::format("an array of {} element{}", value.size(), value.size() == 1 ? "" : "s");
  if (value.is_object()) return fmt::format("an object of {} key{}", value.size(), value.size() == 1 ? "" : "s");
  return value.dump();  // a number, boolean or null: short
}
}  // namespace

std::string text_excerpt(std::string_view text, std::size_t max_chars) {
  const bool cut = text.size() > max_chars;
  // dump() escapes control characters and quotes; `replace` keeps a cut multi-byte
  // character (or invalid UTF-8) from throwing.
  std::string quoted = nlohmann::json(std::string(cut ? text.substr(0, max_chars) : text))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (cut) quoted += fmt::format("... ({} bytes)", text.size());
  return quoted;
}

std::string json_excerpt(const nlohmann::ordered_json& value, std::size_t max_chars) {
  return excerpt_of(value, max_chars);
}
std::string json_excerpt(const nlohmann::json& value, std::size_t max_chars) { return excerpt_of(value, max_chars); }

}  // namespace swan
