// config.json -> ModelConfig for the Llama-family decoders, dense and mixture-of-experts.
#include "swan/model/architecture.h"

#include <array>
#include <string_view>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/io/json_reader.h"
#include "swan/io/model_directory.h"

namespace swan::model {
namespace {

using Json = nlohmann::ordered_json;

bool has_value(const Json& config, const char* key) { return config.contains(key) && !config.at(key).is_null(); }

std::int64_t positive_int(const Json& config, const char* key, const std::string& label) {
  if (!has_value(config, key)) fail("{}: required key \"{}\" is missing; add it to config.json", label, key);
  const Json& value = config.at(key);
  if (!value.is_number_integer()) fail("{}: \"{}\" must be an integer, got {}", label, key, json_excerpt(value));
  // Beyond 2^40 no dimension, count or id of a real model lies, and products of two such
  // values still fit an int64: refusing here keeps every later size computation exact.
  constexpr std::int64_t kLargest = std::int64_t{1} << 40;
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(kLargest))
    fail("{}: \"{}\" is {}, beyond any real model (at most 2^40)", label, key, json_excerpt(value));
  const auto number = value.get<std::int64_t>();
  if (number <= 0) fail("{}: \"{}\" must be positive, got {}", label, key, number);
  if (number > kLargest) fail("{}: \"{}\" is {}, beyond any real model (at most 2^40)", label, key, number);
  return number;
}

std::int64_t positive_int_or(const Json& config, const char* key, std::int64_t fallback, const std::string& label) {
  return has_value(config, key) ? positive_int(config, key, label) : fallback;
}

double positive_number(const Json& config, const char* key, const std::string& label) {
  const Json& value = config.at(key);
  if (!value.is_number()) fail("{}: \"{}\" must be a number, got {}", label, key, json_excerpt(value));
  const auto number = value.get<double>();
  if (!(number > 0.0)) fail("{}: \"{}\" must be positive, got {}", label, key, number);
  return number;
}

double positive_number_or(const Json& config, const char* key, double fallback, const std::string& label) {
  return has_value(config, key) ? positive_number(config, key, label) : fallback;
}

bool boolean_or(const Json& config, const char* key, bool fallback, const std::string& label) {
  if (!has_value(config, key)) return fallback;
  const Json& value = config.at(key);
  if (!value.is_boolean()) fail("{}: \"{}\" must be true or false, got {}", label, key, json_excerpt(value));
  return value.get<bool>();
}

std::optional<std::int64_t> token_id(const Json& value, const char* key, const std::string& label) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
    fail("{}: \"{}\" must be a non-negative token id, got {}", label, key, json_excerpt(value));
  return value.get<std::int64_t>();
}

bool is_mixture_of_experts(std::string_view model_type, const Json& config) {
  if (model_type.find("moe") != std::string_view::npos || model_type == "mixtral" || model_type == "dbrx" ||
      model_type.starts_with("deepseek"))
    return true;
  for (const char* key : {"num_experts", "num_local_experts", "n_routed_experts"})
    if (config.contains(key) && config.at(key).is_number_integer() && config.at(key).get<std::int64_t>() > 0)
      return true;
  return false;
}

Architecture parse_architecture(const Json& config, const std::string& label, std::string& model_type) {
  if (!has_value(config, "model_type"))
    fail("{}: required key \"model_type\" is missing; swan needs it to pick the architecture", label);
  if (!config.at("model_type").is_string())
    fail("{}: \"model_type\" must be a string, got {}", label, json_excerpt(config.at("model_type")));
  model_type = config.at("model_type").get<std::string>();
  const auto known = known_architecture(model_type);
  const bool sparse = known == Architecture::Qwen2Moe || known == Architecture::Qwen3Moe || known == Architecture::Mixtral;
  if (!sparse && is_mixture_of_experts(model_type, config))
    fail("{}: model_type {} is a mixture-of-experts model swan cannot run; the supported ones are "
         "qwen2_moe, qwen3_moe and mixtral (dense: llama, mistral, qwen2, qwen3)",
         label, text_excerpt(model_type));
  if (known) return *known;
  fail("{}: model_type {} is not supported for inference (supported: llama, mistral, qwen2, qwen3, qwen2_moe, "
       "qwen3_moe, mixtral)", label,
       text_excerpt(model_type));
}

RopeScaling parse_rope_scaling(const Json& config, const std::string& label) {
  RopeScaling scaling;
  if (!has_value(config, "rope_scaling")) return scaling;
  const Json& object = config.at("rope_scaling");
  const std::string where = label + ": rope_scaling";
  if (!object.is_object()) fail("{} must be an object or null, got {}", where, json_excerpt(object));
  const char* type_key = has_value(object, "rope_type") ? "rope_type" : "type";
  if (!has_value(object, type_key)) fail("{} has no \"rope_type\" (or \"type\") key", where);
  if (!object.at(type_key).is_string()) fail("{}.{} must be a string", where, type_key);
  const auto type = object.at(type_key).get<std::string>();
  if (type == "default") return scaling;
  if (type == "linear") {
    scaling.type = RopeScaling::Type::Linear;
    if (!has_value(object, "factor")) fail("{}: type \"linear\" needs \"factor\"", where);
    scaling.factor = positive_number(object, "factor", where);
    return scaling;
  }
  if (type == "llama3") {
    scaling.type = RopeScaling::Type::Llama3;
    for (const char* key : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"})
      if (!has_value(object, key)) fail("{}: type \"llama3\" needs \"{}\"", where, key);
    scaling.factor = positive_number(object, "factor", where);
    scaling.low_freq_factor = positive_number(object, "low_freq_factor", where);
    scaling.high_freq_factor = positive_number(object, "high_freq_factor", where);
    scaling.original_max_position_embeddings = positive_number(object, "original_max_position_embeddings", where);
    if (!(scaling.high_freq_factor > scaling.low_freq_factor))
      fail("{}: high_freq_factor ({}) must be greater than low_freq_factor ({})", where, scaling.high_freq_factor,
           scaling.low_freq_factor);
    return scaling;
  }
  fail("{}: type \"{}\" is not supported (supported: default, linear, llama3)", where, type);
}

std::optional<DType> parse_torch_dtype(const Json& config, const std::string& label) {
  // transformers >= 4.56 writes "dtype"; older versions "torch_dtype".
  const char* key = has_value(config, "torch_dtype") ? "torch_dtype" : "dtype";
  if (!has_value(config, key)) return std::nullopt;
  const Json& value = config.at(key);
  if (!value.is_string()) fail("{}: \"{}\" must be a string, got {}", label, key, json_excerpt(value));
  const auto name = value.get<std::string>();
  if (name == "float32") return DType::F32;
  if (name == "float16") return DType::F16;
  if (name == "bfloat16") return DType::BF16;
  fail("{}: \"{}\" is \"{}\"; expected float32, float16 or bfloat16", label, key, name);
}

MixtureOfExperts parse_mixture_of_experts(const Json& config, Architecture architecture,
                                          std::int64_t intermediate_size, const std::string& label) {
  MixtureOfExperts moe;
  moe.experts_per_token = positive_int(config, "num_experts_per_tok", label);
  if (architecture == Architecture::Mixtral) {
    // Mixtral: intermediate_size is each expert's; every layer is sparse.
    moe.num_experts = positive_int(config, "num_local_experts", label);
    moe.expert_intermediate_size = intermediate_size;
    moe.normalize_top_k = true;
    moe.block = "block_sparse_moe";
  } else {
    moe.num_experts = positive_int(config, "num_experts", label);
    moe.expert_intermediate_size = positive_int(config, "moe_intermediate_size", label);
    // transformers' defaults: qwen3_moe false, qwen2_moe false (Qwen1.5-MoE checkpoints say false).
    moe.normalize_top_k = boolean_or(config, "norm_topk_prob", false, label);
    moe.decoder_sparse_step = positive_int_or(config, "decoder_sparse_step", 1, label);
    if (has_value(config, "mlp_only_layers")) {
      const Json& layers = config.at("mlp_only_layers");
      if (!layers.is_array()) fail("{}: \"mlp_only_layers\" must be a list of layer indices", label);
      for (const Json& layer : layers) {
        if (!layer.is_number_integer() || layer.get<std::int64_t>() < 0)
          fail("{}: \"mlp_only_layers\" holds {}, expected non-negative layer indices", label, json_excerpt(layer));
        moe.mlp_only_layers.push_back(layer.get<std::int64_t>());
      }
    }
    if (architecture == Architecture::Qwen2Moe)
      moe.shared_expert_intermediate_size = positive_int(config, "shared_expert_intermediate_size", label);
    moe.block = "mlp";
  }
  if (moe.experts_per_token > moe.num_experts)
    fail("{}: num_experts_per_tok {} exceeds the {} experts", label, moe.experts_per_token, moe.num_experts);
  return moe;
}

std::optional<std::int64_t> active_sliding_window(const Json& config, const ModelConfig& model, const std::string& label) {
  if (!has_value(config, "sliding_window")) return std::nullopt;
  switch (model.architecture) {
    case Architecture::Mistral:
    case Architecture::Mixtral:
      return positive_int(config, "sliding_window", label);  // null (v0.2 and later): full attention
    case Architecture::Qwen2:
    case Architecture::Qwen3:
    case Architecture::Qwen2Moe:
    case Architecture::Qwen3Moe: {
      // transformers' Qwen2/Qwen3: layers from max_window_layers on use the window, only
      // when use_sliding_window is true (it is false in the released checkpoints).
      if (!boolean_or(config, "use_sliding_window", false, label)) return std::nullopt;
      std::int64_t first_windowed = 28;  // transformers' default
      if (has_value(config, "max_window_layers")) {
        const Json& value = config.at("max_window_layers");
        if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
          fail("{}: \"max_window_layers\" must be a non-negative integer, got {}", label, json_excerpt(value));
        first_windowed = value.get<std::int64_t>();
      }
      if (first_windowed >= model.num_hidden_layers) return std::nullopt;
      return positive_int(config, "sliding_window", label);
    }
    case Architecture::Llama:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string last_layer_prefix(const ModelConfig& config) {
  return "model.layers." + std::to_string(config.num_hidden_layers - 1) + ".";
}

std::optional<Architecture> known_architecture(std::string_view model_type) {
  for (const auto architecture : {Architecture::Llama, Architecture::Mistral, Architecture::Qwen2, Architecture::Qwen3,
                                  Architecture::Qwen2Moe, Architecture::Qwen3Moe, Architecture::Mixtral})
    if (architecture_name(architecture) == model_type) return architecture;
  return std::nullopt;
}

std::string_view architecture_name(Architecture architecture) {
  switch (architecture) {
    case Architecture::Llama: return "llama";
    case Architecture::Mistral: return "mistral";
    case Architecture::Qwen2: return "qwen2";
    case Architecture::Qwen3: return "qwen3";
    case Architecture::Qwen2Moe: return "qwen2_moe";
    case Architecture::Qwen3Moe: return "qwen3_moe";
    case Architecture::Mixtral: return "mixtral";
  }
  return "unknown";
}

ModelConfig parse_model_config(const nlohmann::ordered_json& config, const std::string& label) {
  if (!config.is_object()) fail("{}: config must be a JSON object", label);
  ModelConfig result;
  result.architecture = parse_architecture(config, label, result.model_type);

  result.hidden_size = positive_int(config, "hidden_size", label);
  result.intermediate_size = positive_int(config, "intermediate_size", label);
  result.num_hidden_layers = positive_int(config, "num_hidden_layers", label);
  result.num_attention_heads = positive_int(config, "num_attention_heads", label);
  result.num_key_value_heads = positive_int_or(config, "num_key_value_heads", result.num_attention_heads, label);
  result.vocab_size = positive_int(config, "vocab_size", label);
  result.max_position_embeddings = positive_int_or(config, "max_position_embeddings", 0, label);
  result.sliding_window = active_sliding_window(config, result, label);

  if (result.architecture == Architecture::Qwen3 || result.architecture == Architecture::Qwen3Moe) {
    // mlx_lm's qwen3 requires head_dim (transformers would silently default to 128).
    if (!has_value(config, "head_dim")) fail("{}: qwen3 models need \"head_dim\" in config.json", label);
    result.head_dim = positive_int(config, "head_dim", label);
  } else {
    if (!has_value(config, "head_dim") && result.hidden_size % result.num_attention_heads != 0)
      fail("{}: hidden_size {} is not divisible by num_attention_heads {}; give head_dim explicitly", label,
           result.hidden_size, result.num_attention_heads);
    result.head_dim =
        positive_int_or(config, "head_dim", result.hidden_size / result.num_attention_heads, label);
  }
  if (result.head_dim % 2 != 0) fail("{}: head_dim {} must be even for rotary embeddings", label, result.head_dim);
  if (result.num_attention_heads % result.num_key_value_heads != 0)
    fail("{}: num_attention_heads {} is not a multiple of num_key_value_heads {}", label, result.num_attention_heads,
         result.num_key_value_heads);

  if (!has_value(config, "rms_norm_eps")) fail("{}: required key \"rms_norm_eps\" is missing", label);
  result.rms_norm_eps = positive_number(config, "rms_norm_eps", label);
  result.rope_theta = positive_number_or(config, "rope_theta", 10000.0, label);
  result.rope_scaling = parse_rope_scaling(config, label);

  if (has_value(config, "tie_word_embeddings") && !config.at("tie_word_embeddings").is_boolean())
    fail("{}: \"tie_word_embeddings\" must be true or false, got {}", label, json_excerpt(config.at("tie_word_embeddings")));

  const bool attention_bias = boolean_or(config, "attention_bias", false, label);
  switch (result.architecture) {
    case Architecture::Qwen2:  // q/k/v always carry biases, o_proj never
    case Architecture::Qwen2Moe:
      result.qkv_bias = true;
      break;
    case Architecture::Qwen3Moe:  // mlx_lm's qwen3_moe has no attention biases at all
      result.qk_norm = true;
      break;
    case Architecture::Mixtral:
      break;
    case Architecture::Llama:
    case Architecture::Mistral:
      result.qkv_bias = result.o_bias = attention_bias;
      result.mlp_bias = boolean_or(config, "mlp_bias", false, label);
      break;
    case Architecture::Qwen3:
      result.qkv_bias = result.o_bias = attention_bias;
      result.qk_norm = true;
      break;
  }

  if (has_value(config, "bos_token_id")) result.bos_token_id = token_id(config.at("bos_token_id"), "bos_token_id", label);
  if (has_value(config, "eos_token_id")) {
    const Json& eos = config.at("eos_token_id");
    if (eos.is_array()) {
      for (const Json& id : eos) result.eos_token_ids.push_back(*token_id(id, "eos_token_id", label));
    } else {
      result.eos_token_ids.push_back(*token_id(eos, "eos_token_id", label));
    }
  }
  result.torch_dtype = parse_torch_dtype(config, label);
  if (result.architecture == Architecture::Qwen2Moe || result.architecture == Architecture::Qwen3Moe ||
      result.architecture == Architecture::Mixtral)
    result.moe = parse_mixture_of_experts(config, result.architecture, result.intermediate_size, label);
  return result;
}

bool ModelConfig::is_moe_layer(std::int64_t layer) const {
  if (!is_moe()) return false;
  for (auto dense : moe.mlp_only_layers)
    if (dense == layer) return false;
  return (layer + 1) % moe.decoder_sparse_step == 0;
}

ModelConfig load_model_config(const std::filesystem::path& directory) {
  const auto path = directory / "config.json";
  if (!std::filesystem::exists(path))
    fail("{}: no config.json; inference needs the model's config.json next to its weights", directory.string());
  return parse_model_config(read_json_file(path), path.string());
}

}  // namespace swan::model
