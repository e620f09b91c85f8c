// Inspection and mlx_lm-loadability validation of model directories; see inspect.h.
#include "swan/mlx/inspect.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/io/json_reader.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors.h"
#include "swan/model/architecture.h"
#include "swan/model/mlx_lm_parameters.h"
#include "swan/model/mlx_naming.h"
#include "swan/model/mlx_quantization_config.h"
#include "swan/plan/quant_plan.h"

namespace swan::mlx {
namespace fs = std::filesystem;

namespace {

struct Found {
  const TensorInfo* info = nullptr;
  std::string file;
};

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shape_text(const std::vector<std::int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

class Inspector {
 public:
  explicit Inspector(InspectReport& report) : r_(report) {}

  void run(const fs::path& dir) {
    r_.directory = dir;
    if (!fs::is_directory(dir)) fail("{} is not a directory", dir.string());
    if (fs::exists(dir / "config.json")) config_ = read_json_file(dir / "config.json");
    bool mlx = config_ && config_->contains("quantization");
    // mlx_lm loads every model*.safetensors (a glob; the index is not used).
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.ends_with(".safetensors")) files.push_back(name);
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      shards_.emplace_back(dir / f);
      for (const auto& t : shards_.back().tensors()) {
        if (model::parameter_name(t.name) == "scales") mlx = true;
      }
      if (shards_.back().metadata().contains("format") && shards_.back().metadata().at("format") == "mlx") mlx = true;
    }
    r_.format = mlx ? "mlx" : "hf";
    if (files.empty()) r_.violations.push_back("no *.safetensors weight files in the directory");
    for (std::size_t s = 0; s < shards_.size(); ++s) {
      if (mlx && !files[s].starts_with("model")) {
        r_.warnings.push_back(fmt::format("{} is ignored by mlx_lm (it loads model*.safetensors only)", files[s]));
        continue;
      }
      r_.files.push_back(files[s]);
      for (const auto& t : shards_[s].tensors()) {
        if (!tensors_.emplace(t.name, Found{&t, files[s]}).second)
          r_.violations.push_back(fmt::format("tensor '{}' appears in more than one file", t.name));
      }
    }
    if (config_) {
      try {
        model_config_ = model::parse_model_config(*config_, "config.json");
      } catch (const Error& e) {
        // A model_type swan does not know may still load in mlx_lm: say what is not checked.
        // A known one whose values do not parse is what mlx_lm's model construction refuses.
        const auto type = config_->find("model_type");
        if (type != config_->end() && type->is_string() &&
            !model::known_architecture(type->get_ref<const std::string&>()))
          r_.warnings.push_back(fmt::format("model_type {} is not one swan knows: the tensors' names and shapes are "
                                            "not checked against mlx_lm's model",
                                            text_excerpt(type->get_ref<const std::string&>())));
        else
          config_problem_ = fmt::format("{}; mlx_lm cannot build the model from it", e.what());
      }
      if (model_config_) {
        const std::string last_layer = model::last_layer_prefix(*model_config_);
        const auto it = tensors_.lower_bound(last_layer);
        if (it == tensors_.end() || !it->first.starts_with(last_layer)) {
          config_problem_ = fmt::format("config.json says num_hidden_layers {}, but the weights have no \"{}*\" "
                                        "tensors; mlx_lm cannot build the model",
                                        model_config_->num_hidden_layers, last_layer);
          model_config_.reset();
        }
      }
      if (model_config_) {
        try {
          for (auto& p : model::mlx_lm_parameters(*model_config_, model::ties_word_embeddings(*config_)))
            expected_.emplace(std::move(p.name), std::move(p.shape));
        } catch (const Error&) {
          // No tie_word_embeddings and no mlx_lm default: check_mlx reports it.
        }
      }
    }
    if (mlx) check_mlx(dir);
    else summarize_hf();
  }

 private:
  void summarize_hf() {
    // Tensors in file order (sorted files, header order within a file).
    for (const auto& shard : shards_)
      for (const auto& t : shard.tensors()) {
        ParameterSize s;
        s.name = t.name;
        s.dtype = std::string(dtype_name(t.dtype));
        s.bits = static_cast<int>(dtype_size(t.dtype) * 8);
        s.params = static_cast<std::uint64_t>(t.num_elements());
        s.bytes = t.nbytes;
        r_.summary.add(std::move(s));
      }
  }

  void violation(std::string text) { r_.violations.push_back(std::move(text)); }

  // The one reading of config.json's quantization entry (model/mlx_quantization_config.h);
  // each of its problems is a violation.
  void read_quantization() {
    if (!config_) return;
    quantization_ = model::read_mlx_quantization_config(*config_, "config.json");
    for (const auto& problem : quantization_.problems) violation(problem);
  }

  const Found* find(const std::string& name) const {
    auto it = tensors_.find(name);
    return it == tensors_.end() ? nullptr : &it->second;
  }

  void check_quantized_module(const std::string& module, std::set<std::string>& used) {
    const Found* weight = find(module + ".weight");
    const Found* scales = find(module + ".scales");
    const Found* biases = find(module + ".biases");
    used.insert(module + ".scales");
    if (biases) used.insert(module + ".biases");
    if (weight) used.insert(module + ".weight");
    quant::AffineFormat q = quantization_.global;
    const bool from_override = quantization_.has_override(module);
    if (from_override) {
      const auto& entry = quantization_.overrides.at(module);
      if (!entry) {
        violation(fmt::format("'{}' is quantized (has .scales) but config.json marks it false (unquantized)", module));
        return;
      }
      q = *entry;
    } else if (!quantization_.present) {
      violation(fmt::format("'{}' is quantized (has .scales) but config.json has no \"quantization\" entry", module));
      return;
    }
    if (!weight) return violation(fmt::format("quantized module '{}' has .scales but no .weight", module));
    if (!biases) return violation(fmt::format("quantized module '{}' has .scales but no .biases", module));
    const auto& ws = weight->info->shape;
    const auto& ss = scales->info->shape;
    if (weight->info->dtype != DType::U32)
      violation(fmt::format("'{}.weight' of a quantized module must be U32, found {}", module, dtype_name(weight->info->dtype)));
    if (!is_float_weight_dtype(scales->info->dtype))
      violation(fmt::format("'{}.scales' must be F32/F16/BF16, found {}", module, dtype_name(scales->info->dtype)));
    if (biases->info->shape != ss)
      violation(fmt::format("'{}': .biases shape {} differs from .scales shape {}", module, shape_text(biases->info->shape),
                            shape_text(ss)));
    if (ws.size() < 2 || ws.size() != ss.size() || !std::equal(ws.begin(), ws.end() - 1, ss.begin()))
      return violation(fmt::format("'{}': .weight shape {} and .scales shape {} do not have the same leading dimensions",
                                   module, shape_text(ws), shape_text(ss)));
    ParameterSize s;
    s.name = module + ".weight";
    s.dtype = std::string(dtype_name(scales->info->dtype));
    s.quantized = true;
    s.bits = q.bits;
    s.group_size = q.group_size;
    s.bytes = weight->info->nbytes + scales->info->nbytes + biases->info->nbytes;
    // Unsupported settings were reported by read_quantization(); shapes cannot be read with them.
    if (!quant::is_supported(q)) return;
    const std::int64_t in = ws.back() * 32 / q.bits;
    const std::string where = from_override ? "its override" : "the global setting (no override)";
    if (ws.back() * 32 % q.bits != 0 || in != ss.back() * q.group_size) {
      violation(fmt::format("'{}': .weight {} and .scales {} do not fit {}-bit g{} from {}; {}", module, shape_text(ws),
                            shape_text(ss), q.bits, q.group_size, where,
                            from_override ? "fix the override" : "a per-module override is missing"));
    } else if (auto it = expected_.find(module + ".weight"); it != expected_.end() && it->second.back() != in) {
      violation(fmt::format("'{}': .weight {} read as {}-bit (from {}) gives input dim {}, the model has {}; {}", module,
                            shape_text(ws), q.bits, where, in, it->second.back(),
                            from_override ? "fix the override" : "a per-module override is missing"));
    } else if (it != expected_.end() && !std::equal(ws.begin(), ws.end() - 1, it->second.begin(), it->second.end() - 1)) {
      violation(fmt::format("'{}': .weight {} does not have the leading dimensions of mlx_lm's {}", module,
                            shape_text(ws), shape_text(it->second)));
    }
    auto logical = ws;
    logical.back() = in;
    s.params = static_cast<std::uint64_t>(product(logical));
    r_.summary.add(std::move(s));
  }

  void check_mlx(const fs::path& dir) {
    if (config_problem_) violation(*config_problem_);
    read_quantization();
    std::set<std::string> used;
    std::set<std::string> modules_with_scales;
    for (const auto& [name, found] : tensors_)
      if (model::parameter_name(name) == "scales") modules_with_scales.insert(model::module_path(name));
    std::optional<bool> tied;
    if (config_) {
      try {
        tied = model::ties_word_embeddings(*config_);
      } catch (const Error& e) {
        violation(e.what());
      }
    } else {
      violation("no config.json: mlx_lm cannot build the model");
    }
    // Walk tensors in name order (deterministic report).
    for (const auto& [name, found] : tensors_) {
      const std::string module = model::module_path(name);
      const auto param = model::parameter_name(name);
      if (name.find("rotary_emb.inv_freq") != std::string::npos) {
        violation(fmt::format("stray tensor '{}': mlx_lm models have no rotary inv_freq parameter", name));
        continue;
      }
      if (tied && *tied && (name == "lm_head" || name.starts_with("lm_head."))) {
        violation(fmt::format("stray tensor '{}': the model ties its embeddings, so it has no lm_head", name));
        continue;
      }
      if (modules_with_scales.contains(module)) {
        if (param == "scales") check_quantized_module(module, used);
        else if (param != "weight" && param != "biases" && param != "bias")
          violation(fmt::format("stray tensor '{}' in quantized module '{}'", name, module));
        if (param != "bias") continue;
      }
      if (param == "biases") {
        violation(fmt::format("stray tensor '{}': .biases without .scales", name));
        continue;
      }
      if (param == "weight" && found.info->dtype == DType::U32)
        violation(fmt::format("'{}' is U32 (packed) but '{}.scales' is missing", name, module));
      if (param == "weight" && !modules_with_scales.contains(module)) {
        auto it = quantization_.overrides.find(module);
        if (it != quantization_.overrides.end() && it->second)
          violation(fmt::format("config.json quantizes '{}' ({}-bit g{}) but its tensors are float (no .scales)", module,
                                it->second->bits, it->second->group_size));
      }
      ParameterSize s;
      s.name = name;
      s.dtype = std::string(dtype_name(found.info->dtype));
      s.bits = static_cast<int>(dtype_size(found.info->dtype) * 8);
      s.params = static_cast<std::uint64_t>(found.info->num_elements());
      s.bytes = found.info->nbytes;
      r_.summary.add(std::move(s));
    }
    if (tied && !*tied && !find("lm_head.weight"))
      violation("the model does not tie its embeddings but has no lm_head.weight");
    if (tied && model_config_) check_parameter_names(*tied);
    check_index(dir);
  }

  // mlx_lm's load_weights is strict: every tensor must be a parameter its model class declares
  // (packed .scales/.biases aside) and every declared parameter must be present.
  void check_parameter_names(bool tied) {
    const std::string model_type(model::architecture_name(model_config_->architecture));
    for (const auto& [name, found] : tensors_) {
      const auto param = model::parameter_name(name);
      if ((param == "scales" || param == "biases") && find(model::module_path(name) + ".scales")) continue;
      if (name.find("rotary_emb.inv_freq") != std::string::npos || (tied && name.starts_with("lm_head.")))
        continue;  // reported above
      auto it = expected_.find(name);
      if (it == expected_.end()) {
        violation(fmt::format("'{}' is not a parameter of mlx_lm's {} model (mlx_lm refuses the directory: "
                              "\"parameters not in model\"); rename or remove it",
                              name, model_type));
      } else if (found.info->dtype != DType::U32 && found.info->shape != it->second) {
        violation(fmt::format("'{}' has shape {}, mlx_lm's {} model has {}", name, shape_text(found.info->shape),
                              model_type, shape_text(it->second)));
      }
    }
    for (const auto& [name, shape] : expected_)
      if (!tensors_.contains(name))
        violation(fmt::format("'{}' is missing: mlx_lm's {} model declares it (mlx_lm refuses the directory: "
                              "\"missing parameters\")",
                              name, model_type));
  }

  void check_index(const fs::path& dir) {
    for (std::size_t s = 0; s < shards_.size(); ++s) {
      const auto& meta = shards_[s].metadata();
      if (!meta.contains("format") || meta.at("format") != "mlx")
        r_.warnings.push_back(fmt::format("{} has no \"format\": \"mlx\" metadata", shards_[s].path().filename().string()));
    }
    const fs::path index_path = dir / "model.safetensors.index.json";
    if (!fs::exists(index_path)) {
      r_.warnings.push_back("no model.safetensors.index.json (mlx_lm does not need it; mlx_lm.convert writes it)");
      return;
    }
    const auto index = read_json_file(index_path);
    if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
      r_.warnings.push_back("model.safetensors.index.json has no weight_map");
      return;
    }
    std::uint64_t total = 0;
    for (const auto& [name, found] : tensors_) {
      total += found.info->nbytes;
      const auto& map = index["weight_map"];
      if (!map.contains(name) || map[name] != found.file)
        r_.warnings.push_back(fmt::format("index weight_map does not map '{}' to {}", name, found.file));
    }
    for (const auto& [name, file] : index["weight_map"].items())
      if (!tensors_.contains(name)) r_.warnings.push_back(fmt::format("index weight_map lists missing tensor '{}'", name));
    const auto& meta = index.value("metadata", nlohmann::ordered_json::object());
    if (meta.contains("total_size") && meta["total_size"] != total)
      r_.warnings.push_back(fmt::format("index total_size {} differs from the tensors' {} bytes", json_excerpt(meta["total_size"]), total));
    if (meta.contains("total_parameters") && meta["total_parameters"] != r_.summary.total_params)
      r_.warnings.push_back(fmt::format("index total_parameters {} differs from the {} logical parameters",
                                        json_excerpt(meta["total_parameters"]), r_.summary.total_params));
  }

  InspectReport& r_;
  std::optional<nlohmann::ordered_json> config_;
  std::optional<model::ModelConfig> model_config_;
  std::optional<std::string> config_problem_;  // config.json of a known architecture that does not parse
  std::map<std::string, std::vector<std::int64_t>> expected_;  // mlx_lm's parameters: name -> logical shape
  std::vector<SafetensorsFile> shards_;
  std::map<std::string, Found> tensors_;
  model::MlxQuantizationConfig quantization_;
};

}  // namespace

InspectReport inspect_directory(const fs::path& directory) {
  InspectReport report;
  Inspector(report).run(directory);
  return report;
}

nlohmann::ordered_json to_json(const InspectReport& report) {
  nlohmann::ordered_json j;
  j["directory"] = report.directory.string();
  j["format"] = report.format;
  j["files"] = report.files;
  j["ok"] = report.ok();
  j["violations"] = report.violations;
  j["warnings"] = report.warnings;
  j["summary"] = to_json(report.summary);
  return j;
}

std::string format_report(const InspectReport& report) {
  std::string out = fmt::format("{} ({} model directory, {} weight file{})\n\n", report.directory.string(),
                                report.format == "mlx" ? "MLX" : "HuggingFace", report.files.size(),
                                report.files.size() == 1 ? "" : "s");
  out += format_table(report.summary);
  for (const auto& w : report.warnings) out += "warning: " + w + "\n";
  if (report.format == "mlx") {
    if (report.ok()) out += "\nmlx_lm load check: OK\n";
    else {
      out += fmt::format("\nmlx_lm load check: {} violation{}\n", report.violations.size(),
                         report.violations.size() == 1 ? "" : "s");
      for (const auto& v : report.violations) out += "  - " + v + "\n";
    }
  }
  return out;
}

}  // namespace swan::mlx
