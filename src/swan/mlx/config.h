// The JSON files of an MLX model directory, as mlx_lm writes them:
// config.json (source config + `quantization` / `quantization_config`, `_name_or_path`
// dropped, eos_token_id from generation_config.json, top-level keys sorted, indent 4) and
// model.safetensors.index.json (total_size, total_parameters, sorted weight_map).
// Spec: ../shared/specs/mlx-format.md §5.1, §5.8.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "swan/mlx/layout.h"
#include "swan/plan/quant_plan.h"

namespace swan::mlx {

// The `quantization` dict: global group_size/bits/mode, then per module (in parameter
// order) a {group_size, bits, mode} dict where it differs from the globals (or for every
// quantized module when plan.list_every_module), and `false` for quantizable modules kept
// float. nullopt when the plan quantizes nothing.
std::optional<nlohmann::ordered_json> quantization_json(const MlxLayout& layout, const plan::QuantPlan& plan);

// config.json for the output. `generation_config` is the source's generation_config.json
// if it exists (its eos_token_id wins, as mlx_lm's load_config does).
nlohmann::ordered_json output_config(const nlohmann::ordered_json& source_config,
                                     const std::optional<nlohmann::ordered_json>& generation_config,
                                     const MlxLayout& layout, const plan::QuantPlan& plan);

nlohmann::ordered_json index_json(const MlxLayout& layout);

// Python's json.dump(obj, indent=4) layout (ASCII-escaped, no trailing newline).
std::string dump_python_style(const nlohmann::ordered_json& json);
// Writes `text` to `path`, throwing swan::Error (disk full included) naming the file.
void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace swan::mlx
