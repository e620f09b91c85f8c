// config.json and model.safetensors.index.json for MLX model directories.
#include "swan/mlx/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <unistd.h>

#include "swan/core/error.h"
#include "swan/model/mlx_naming.h"

namespace swan::mlx {

namespace {
nlohmann::ordered_json affine_dict(plan::QuantDecision d) {
  // All three keys, always: missing keys fall back to the layer's defaults (64, 4, affine),
  // not to the globals (spec §5.1).
  nlohmann::ordered_json j;
  j["group_size"] = d.group_size;
  j["bits"] = d.bits;
  j["mode"] = "affine";
  return j;
}

std::string_view dtype_torch_name(DType dtype) {
  switch (dtype) {
    case DType::F16: return "float16";
    case DType::BF16: return "bfloat16";
    default: return "float32";
  }
}
}  // namespace

std::optional<nlohmann::ordered_json> quantization_json(const MlxLayout& layout, const plan::QuantPlan& plan) {
  const bool any_quantized = std::any_of(layout.parameters.begin(), layout.parameters.end(),
                                         [](const auto& p) { return p.decision.is_quantized(); });
  if (!plan.quantizes() && !any_quantized) return std::nullopt;
  const plan::QuantDecision global = plan.defaults();
  nlohmann::ordered_json q = affine_dict(global);
  std::set<std::string> seen;
  for (const auto& p : layout.parameters) {
    if (!p.quantizable) continue;
    const std::string module = p.module();
    if (!seen.insert(module).second) continue;
    const auto predicate = model::mlx_lm_predicate_decision(layout.model_type, module);
    if (!p.decision.is_quantized())
      q[module] = false;
    else if (predicate && p.decision == plan::QuantDecision::quantized(predicate->bits, predicate->group_size))
      q[module] = {{"group_size", predicate->group_size}, {"bits", predicate->bits}};  // as the predicate returns it
    else if (plan.list_every_module || p.decision != global)
      q[module] = affine_dict(p.decision);
  }
  return q;
}

nlohmann::ordered_json output_config(const nlohmann::ordered_json& source_config,
                                     const std::optional<nlohmann::ordered_json>& generation_config,
                                     const MlxLayout& layout, const plan::QuantPlan& plan) {
  std::map<std::string, nlohmann::ordered_json> keys;  // sorted, like save_config
  for (const auto& [key, value] : source_config.items()) keys[key] = value;
  keys.erase("_name_or_path");
  keys.erase("vision_config");
  keys.erase("quantization_config");  // a foreign one (e.g. FP8) must not survive
  if (generation_config && generation_config->is_object() && generation_config->contains("eos_token_id"))
    keys["eos_token_id"] = (*generation_config)["eos_token_id"];
  // mlx_lm's default for a missing key depends on the model type; say it explicitly.
  keys["tie_word_embeddings"] = layout.tied;
  if (layout.model_dtype && keys.contains("torch_dtype")) keys["torch_dtype"] = dtype_torch_name(*layout.model_dtype);
  if (auto q = quantization_json(layout, plan)) {
    keys["quantization"] = *q;
    keys["quantization_config"] = *q;
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (auto& [key, value] : keys) out[key] = std::move(value);
  return out;
}

nlohmann::ordered_json index_json(const MlxLayout& layout) {
  nlohmann::ordered_json j;
  j["metadata"]["total_size"] = layout.total_size;
  j["metadata"]["total_parameters"] = layout.total_parameters;
  std::map<std::string, std::string> weight_map;
  for (const auto& t : layout.tensors) weight_map[t.spec.name] = layout.shard_files[t.shard];
  j["weight_map"] = nlohmann::ordered_json::object();
  for (const auto& [name, file] : weight_map) j["weight_map"][name] = file;
  return j;
}

std::string dump_python_style(const nlohmann::ordered_json& json) { return json.dump(4, ' ', /*ensure_ascii=*/true); }

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) fail("cannot create {}: {}", path.string(), std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size() && std::fflush(file) == 0 &&
                       ::fsync(fileno(file)) == 0;
  const int error = errno;
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed)
    fail("cannot write {}: {}{}", path.string(), std::strerror(written ? errno : error),
         (written ? errno : error) == ENOSPC ? " (disk full: free some space or choose another output directory)" : "");
}

}  // namespace swan::mlx
