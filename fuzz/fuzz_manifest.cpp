// libFuzzer target: a SWAN manifest (bounded JSON reader, then manifest_from_json, then the
// decisions a plan is built from) must turn any malformed input into swan::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swan/analysis/manifest.h"
#include "swan/core/error.h"
#include "swan/io/json_reader.h"
#include "swan/plan/builders.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto manifest = swan::analysis::manifest_from_json(swan::parse_json(text, "fuzz/manifest.json"),
                                                             "fuzz/manifest.json");
    const auto decisions = swan::plan::manifest_decisions(manifest);
    const swan::plan::PlanTarget targets[] = {{"model.layers.0.mlp.up_proj.weight", {256, 128}, {}},
                                              {"model.layers.0.self_attn.q_proj.weight", {128, 128}, {}}};
    (void)swan::plan::swan_plan(targets, decisions);
  } catch (const swan::Error&) {
  }
  return 0;
}
