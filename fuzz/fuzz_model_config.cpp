// libFuzzer target: config.json parsing (JSON, then the architecture description) must
// turn any malformed input into swan::Error, never a crash.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "swan/core/error.h"
#include "swan/model/architecture.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto config = nlohmann::ordered_json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return 0;
  try {
    (void)swan::model::parse_model_config(config, "fuzz/config.json");
  } catch (const swan::Error&) {
  }
  return 0;
}
