// Decimal numbers embedded in untrusted text (layer and expert indices in tensor names):
// parsed with an upper bound, so a name such as "layers.99999999999999999999" is an error
// instead of a signed overflow.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>
#include <system_error>

namespace swan {

// `digits` as a number in [0, max], or nullopt if it is empty, holds anything but the digits
// 0-9, or exceeds `max`.
inline std::optional<std::int64_t> parse_bounded_decimal(std::string_view digits, std::int64_t max) {
  if (digits.empty() || digits.front() < '0' || digits.front() > '9') return std::nullopt;  // no sign
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace swan
