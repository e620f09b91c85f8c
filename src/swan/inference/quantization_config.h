// The "quantization" entry of an mlx_lm config.json, read the way mlx_lm's loader reads it
// (spec ../shared/specs/mlx-format.md §5.1–5.2): global bits / group_size / mode plus
// per-module overrides, each a dict (missing keys fall back to the *layer* defaults
// 4 bits / group 64, not to the global values), `true` (global parameters) or `false`
// (module stays float).
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "swan/quant/affine.h"

namespace swan::inference {

struct QuantizationConfig {
  bool present = false;  // config.json has a "quantization" (or legacy "quantization_config") entry
  quant::AffineFormat global;
  // Module path -> its format, or nullopt for `false` (not quantized).
  std::map<std::string, std::optional<quant::AffineFormat>> overrides;

  // How module `path` is stored: nullopt = float. `has_scales` says whether "<path>.scales"
  // exists, which decides for modules without an override (mlx_lm's rule). Throws when an
  // override contradicts the files.
  std::optional<quant::AffineFormat> format_for(const std::string& path, bool has_scales) const;
};

// `label` names config.json in error messages. Throws for a mode other than "affine",
// unsupported bits / group sizes, or malformed entries.
QuantizationConfig parse_quantization_config(const nlohmann::ordered_json& config, const std::string& label);

}  // namespace swan::inference
