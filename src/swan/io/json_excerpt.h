// What an error message may show of a value read from untrusted input. A message never
// copies a value of unbounded size or depth: a 500 MB string or a 100,000-level array in a
// config must not turn into a 500 MB error line (or a stack overflow while dumping it).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace swan {

// Numbers, booleans and null as written; strings quoted and cut to `max_chars` (with their
// length); arrays and objects only as their kind and size.
std::string json_excerpt(const nlohmann::ordered_json& value, std::size_t max_chars = 64);
std::string json_excerpt(const nlohmann::json& value, std::size_t max_chars = 64);
// A key or a name taken from untrusted input: quoted (control characters escaped), cut to
// `max_chars`.
std::string text_excerpt(std::string_view text, std::size_t max_chars = 64);

}  // namespace swan
