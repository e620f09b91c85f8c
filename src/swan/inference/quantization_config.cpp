// Parsing of mlx_lm's "quantization" config entry.
#include "swan/inference/quantization_config.h"

#include "swan/core/error.h"

namespace swan::inference {
namespace {

using Json = nlohmann::ordered_json;

int int_field(const Json& object, const char* key, int fallback, const std::string& where) {
  if (!object.contains(key) || object.at(key).is_null()) return fallback;  // mlx_lm writes group_size null
  const Json& value = object.at(key);
  if (!value.is_number_integer()) fail("{}: \"{}\" must be an integer, got {}", where, key, value.dump());
  return value.get<int>();
}

quant::AffineFormat parse_format(const Json& object, quant::AffineFormat defaults, const std::string& where) {
  if (object.contains("mode") && !object.at("mode").is_null()) {
    const Json& mode = object.at("mode");
    if (!mode.is_string() || mode.get<std::string>() != "affine")
      fail("{}: quantization mode {} is not supported; swan's inference reads only \"affine\"", where, mode.dump());
  }
  quant::AffineFormat format;
  format.bits = int_field(object, "bits", defaults.bits, where);
  format.group_size = int_field(object, "group_size", defaults.group_size, where);
  if (!quant::is_supported(format))
    fail("{}: bits {} / group_size {} is not a supported affine format (bits 2,3,4,5,6,8; group 32,64,128)", where,
         format.bits, format.group_size);
  return format;
}

}  // namespace

std::optional<quant::AffineFormat> QuantizationConfig::format_for(const std::string& path, bool has_scales) const {
  if (!present) {
    if (has_scales) fail("tensor \"{}.scales\" exists but config.json has no \"quantization\" entry", path);
    return std::nullopt;
  }
  const auto found = overrides.find(path);
  if (found != overrides.end()) {
    if (found->second && !has_scales)
      fail("config.json quantizes module \"{}\" but \"{}.scales\" is missing from the weights", path, path);
    if (!found->second && has_scales)
      fail("config.json marks module \"{}\" as not quantized (false) but \"{}.scales\" exists", path, path);
    return found->second;
  }
  if (!has_scales) return std::nullopt;
  return global;
}

QuantizationConfig parse_quantization_config(const nlohmann::ordered_json& config, const std::string& label) {
  QuantizationConfig result;
  // The loader prefers "quantization"; "quantization_config" is the legacy spelling.
  const char* key = config.contains("quantization") ? "quantization" : "quantization_config";
  if (!config.contains(key) || config.at(key).is_null()) return result;
  const Json& entry = config.at(key);
  const std::string where = label + ": " + key;
  if (!entry.is_object()) fail("{} must be an object, got {}", where, entry.dump());
  if (entry.contains("quant_method"))
    fail("{}: quant_method {} is not supported; swan reads MLX affine quantization only", where,
         entry.at("quant_method").dump());
  result.present = true;
  // mlx_lm's layer defaults; the global entry itself falls back to them too.
  const quant::AffineFormat layer_defaults{4, 64};
  result.global = parse_format(entry, layer_defaults, where);
  for (const auto& [name, value] : entry.items()) {
    if (name == "bits" || name == "group_size" || name == "mode") continue;
    const std::string module_where = where + "." + name;
    if (value.is_boolean()) {
      result.overrides[name] = value.get<bool>() ? std::optional(result.global) : std::nullopt;
    } else if (value.is_object()) {
      result.overrides[name] = parse_format(value, layer_defaults, module_where);
    } else {
      fail("{} must be an object, true or false, got {}", module_where, value.dump());
    }
  }
  return result;
}

}  // namespace swan::inference
