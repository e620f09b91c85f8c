// libFuzzer target: a plan file (swan-plan/1: bounded JSON reader, then plan_from_json)
// must turn any malformed input into swan::Error naming the field, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swan/core/error.h"
#include "swan/io/json_reader.h"
#include "swan/plan/quant_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto plan = swan::plan::plan_from_json(swan::parse_unordered_json(text, "fuzz/plan.json"));
    (void)swan::plan::to_json(plan);
  } catch (const swan::Error&) {
  }
  return 0;
}
