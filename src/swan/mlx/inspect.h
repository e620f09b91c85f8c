// `swan inspect`: what a model directory holds and, for MLX directories, whether mlx_lm's
// loader will accept it. The checks follow ../shared/specs/mlx-format.md §2.4 and §5.2:
// every quantized module has `.weight` (U32), `.scales` and `.biases` whose shapes agree
// with its bits and group size (and with the model's dimensions from config.json where
// known), every module quantized with non-global settings has an override, `false`
// overrides hold a float weight, override dicts carry only known keys and valid values,
// and there are no stray tensors (rotary inv_freq; lm_head.* in tied models).
// Reads headers only (never tensor data), so it is fast on any model size.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/mlx/size_summary.h"

namespace swan::mlx {

struct InspectReport {
  std::filesystem::path directory;
  std::string format;                  // "mlx" (config has "quantization" or tensors have .scales) or "hf"
  std::vector<std::string> files;      // weight files considered
  SizeSummary summary;
  std::vector<std::string> violations;  // each would make mlx_lm's load fail
  std::vector<std::string> warnings;    // inconsistent but loadable (index, metadata)

  bool ok() const { return violations.empty(); }
};

// Throws only when the directory cannot be read at all (missing, unreadable headers).
InspectReport inspect_directory(const std::filesystem::path& directory);

nlohmann::ordered_json to_json(const InspectReport& report);
std::string format_report(const InspectReport& report);

}  // namespace swan::mlx
