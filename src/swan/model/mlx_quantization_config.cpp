// mlx_lm's "quantization" config entry; see mlx_quantization_config.h.
#include "swan/model/mlx_quantization_config.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"

namespace swan::model {
namespace {

using Json = nlohmann::ordered_json;

constexpr quant::AffineFormat kLayerDefaults{4, 64};  // mlx's to_quantized defaults (affine)

// A JSON integer that fits an int; nullopt for anything else (a float, a string, 2^32 + 4).
std::optional<int> exact_int(const Json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v <= static_cast<std::uint64_t>(std::numeric_limits<int>::max())) return static_cast<int>(v);
    return std::nullopt;
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max()) return static_cast<int>(v);
  }
  return std::nullopt;
}

class Reader {
 public:
  Reader(MlxQuantizationConfig& result, std::string where) : result_(result), where_(std::move(where)) {}

  void read(const Json& entry) {
    if (entry.contains("quant_method")) {
      problem("{}: quant_method {} is a foreign quantization format; swan reads MLX affine quantization only",
              where_, json_excerpt(entry.at("quant_method")));
      return;
    }
    for (const char* key : {"bits", "group_size"})
      if (!entry.contains(key))
        problem("{}.{} is missing (mlx_lm's loader reads the global \"{}\": KeyError)", where_, key, key);
    result_.global = read_format(entry, kLayerDefaults, where_, /*module=*/false);
    for (const auto& [name, value] : entry.items()) {
      if (name == "bits" || name == "group_size" || name == "mode") continue;
      const std::string module_where = fmt::format("{}.{}", where_, text_excerpt(name));
      if (value.is_boolean()) {
        result_.overrides[name] = value.get<bool>() ? std::optional(result_.global) : std::nullopt;
      } else if (value.is_object()) {
        result_.overrides[name] = read_format(value, kLayerDefaults, module_where, /*module=*/true);
      } else {
        problem("{} must be an object, true or false, got {}", module_where, json_excerpt(value));
      }
    }
  }

 private:
  template <typename... Args>
  void problem(fmt::format_string<Args...> format, Args&&... args) {
    result_.problems.push_back(fmt::format(format, std::forward<Args>(args)...));
  }

  int read_int(const Json& object, const char* key, int fallback, const std::string& where) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return fallback;
    if (const auto v = exact_int(*it)) return *v;
    problem("{}.{} must be an integer that fits an int, got {}", where, key, json_excerpt(*it));
    return fallback;
  }

  quant::AffineFormat read_format(const Json& object, quant::AffineFormat defaults, const std::string& where,
                                  bool module) {
    if (const auto it = object.find("mode"); it != object.end() && !it->is_null()) {
      if (!it->is_string()) problem("{}.mode must be a string, got {}", where, json_excerpt(*it));
      else if (it->get_ref<const std::string&>() != "affine")
        problem("{}: quantization mode {} is not supported; swan reads and checks only \"affine\"", where,
                json_excerpt(*it));
    }
    if (module) {
      for (const auto& [key, value] : object.items())
        if (key != "bits" && key != "group_size" && key != "mode" && key != "quantize_input")
          problem("{} has an unknown key {} (mlx_lm accepts group_size, bits, mode: TypeError at load)", where,
                  text_excerpt(key));
    }
    quant::AffineFormat format;
    format.bits = read_int(object, "bits", defaults.bits, where);
    format.group_size = read_int(object, "group_size", defaults.group_size, where);
    if (!quant::is_supported(format))
      problem("{}: bits {} / group_size {} is not a supported affine format (bits 2, 3, 4, 5, 6, 8; group 32, 64, "
              "128)",
              where, format.bits, format.group_size);
    return format;
  }

  MlxQuantizationConfig& result_;
  std::string where_;
};

}  // namespace

std::optional<quant::AffineFormat> MlxQuantizationConfig::format_for(const std::string& path, bool has_scales) const {
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

MlxQuantizationConfig read_mlx_quantization_config(const nlohmann::ordered_json& config, std::string_view label) {
  MlxQuantizationConfig result;
  if (!config.is_object()) return result;
  // The loader prefers "quantization"; "quantization_config" is the legacy spelling.
  const auto primary = config.find("quantization");
  const bool has_primary = primary != config.end() && !primary->is_null();
  const auto legacy = config.find("quantization_config");
  if (!has_primary && (legacy == config.end() || legacy->is_null())) return result;
  result.key = has_primary ? "quantization" : "quantization_config";
  const Json& entry = has_primary ? *primary : *legacy;
  result.present = true;
  const std::string where = fmt::format("{}: {}", label, result.key);
  if (!entry.is_object()) {
    result.problems.push_back(fmt::format("{} must be an object, got {}", where, json_excerpt(entry)));
    return result;
  }
  Reader(result, where).read(entry);
  return result;
}

MlxQuantizationConfig require_mlx_quantization_config(const nlohmann::ordered_json& config, std::string_view label) {
  auto result = read_mlx_quantization_config(config, label);
  if (!result.usable()) {
    const auto more = result.problems.size() - 1;
    if (more == 0) fail("{}", result.problems.front());
    fail("{} (and {} more problem{}; `swan inspect` lists them)", result.problems.front(), more, more == 1 ? "" : "s");
  }
  return result;
}

}  // namespace swan::model
