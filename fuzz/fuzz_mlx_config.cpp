// libFuzzer target: the MLX side of config.json, as inspect and eval read it: the
// "quantization" entry (model/mlx_quantization_config.h), the output-head rule and the
// mlx_lm parameters a valid config declares. Any input gives swan::Error or a result, never
// a crash, a division by zero or an allocation sized by a hostile count.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swan/core/error.h"
#include "swan/io/json_reader.h"
#include "swan/model/architecture.h"
#include "swan/model/mlx_lm_parameters.h"
#include "swan/model/mlx_naming.h"
#include "swan/model/mlx_quantization_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto config = swan::parse_json(text, "fuzz/config.json");
    const auto quantization = swan::model::read_mlx_quantization_config(config, "fuzz/config.json");
    for (const auto& [module, format] : quantization.overrides) {
      try {
        (void)quantization.format_for(module, format.has_value());
      } catch (const swan::Error&) {
      }
    }
    for (const bool has_head : {false, true}) {
      try {
        (void)swan::model::decide_output_head(config, has_head, "fuzz/config.json");
      } catch (const swan::Error&) {
      }
    }
    const auto model = swan::model::parse_model_config(config, "fuzz/config.json");
    // Sizing by num_hidden_layers is what the readers check against the files first; only
    // small configs are expanded here.
    if (model.num_hidden_layers <= 64 && model.moe.num_experts <= 64)
      (void)swan::model::mlx_lm_parameters(model, true);
  } catch (const swan::Error&) {
  }
  return 0;
}
