// swan's one error policy: library code throws swan::Error with a message that says
// what failed, where (file, tensor, key) and, when it helps, what to do. The CLI
// catches it at the top, prints "swan: error: <message>" and exits non-zero.
// Invariant violations that would corrupt output use SWAN_CHECK, which stays on in
// release builds.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace swan {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace swan

#define SWAN_CHECK(condition, ...)                                                   \
  do {                                                                               \
    if (!(condition)) {                                                              \
      throw ::swan::Error(fmt::format("internal check failed at {}:{}: {} ({})",     \
                                      __FILE__, __LINE__, #condition,                \
                                      fmt::format(__VA_ARGS__)));                    \
    }                                                                                \
  } while (0)
