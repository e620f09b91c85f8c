// The "quantization" entry of an mlx_lm config.json, read once for every command that needs
// it (`inspect` validates with it, `eval`/`generate` load weights with it), the way mlx_lm's
// loader reads it (spec ../shared/specs/mlx-format.md §5.1–5.2):
// - "quantization" is preferred; the legacy "quantization_config" is read only when it is
//   absent (one with a "quant_method" is a foreign format: GPTQ, AWQ, ...);
// - the global "bits" and "group_size" keys must be there (mlx_lm indexes them); null means
//   the affine default (4 bits, group 64), as mlx_lm writes group_size for its mixed recipes;
// - every other key is a module path: a dict (only group_size, bits, mode and a Linear's
//   quantize_input; missing keys take the layer defaults 4 / 64 / affine, not the globals),
//   `true` (the global settings) or `false` (the module stays float).
// Integers are range-checked, never truncated: bits 2^32+4 is not 4 and 4.5 is not 4.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/quant/affine.h"

namespace swan::model {

struct MlxQuantizationConfig {
  bool present = false;  // config.json has a (non-null) quantization entry
  std::string key;       // "quantization" or the legacy "quantization_config"
  quant::AffineFormat global{4, 64};
  // Module path -> its format, or nullopt for `false` (kept float).
  std::map<std::string, std::optional<quant::AffineFormat>> overrides;
  // Each entry makes mlx_lm's load fail or is a setting swan cannot read (another mode,
  // unsupported bits or group size); the message names the key. Empty: the entry is usable.
  std::vector<std::string> problems;

  bool usable() const { return problems.empty(); }
  bool has_override(const std::string& module) const { return overrides.contains(module); }
  // How module `path` is stored (nullopt: float), by mlx_lm's rule: its override if any,
  // else quantized with the globals iff "<path>.scales" exists. Throws when the config
  // contradicts the files (an override for a module the files store the other way).
  std::optional<quant::AffineFormat> format_for(const std::string& path, bool has_scales) const;
};

// Reads the entry; `label` names config.json in the problems. Never throws for a bad entry:
// the problems list says what is wrong.
MlxQuantizationConfig read_mlx_quantization_config(const nlohmann::ordered_json& config, std::string_view label);

// The same, throwing swan::Error with the first problem (and how many more) for a reader
// that cannot go on without a usable entry.
MlxQuantizationConfig require_mlx_quantization_config(const nlohmann::ordered_json& config, std::string_view label);

}  // namespace swan::model
