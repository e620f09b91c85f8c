// llama-quantize recipes; see recipe.h.
#include "swan/gguf/recipe.h"

#include <array>
#include <cctype>

#include "swan/core/error.h"
#include "swan/model/gguf_naming.h"

namespace swan::gguf {
namespace {

using quant::GgmlType;

struct PresetInfo {
  Preset preset;
  std::string_view name;
  std::uint32_t file_type;
  GgmlType base;
};

constexpr std::array<PresetInfo, 17> kPresets{{
    {Preset::F32, "F32", 0, GgmlType::F32},          {Preset::F16, "F16", 1, GgmlType::F16},
    {Preset::BF16, "BF16", 32, GgmlType::BF16},      {Preset::Q8_0, "Q8_0", 7, GgmlType::Q8_0},
    {Preset::Q4_0, "Q4_0", 2, GgmlType::Q4_0},       {Preset::Q4_1, "Q4_1", 3, GgmlType::Q4_1},
    {Preset::Q5_0, "Q5_0", 8, GgmlType::Q5_0},       {Preset::Q5_1, "Q5_1", 9, GgmlType::Q5_1},
    {Preset::Q2_K, "Q2_K", 10, GgmlType::Q2_K},      {Preset::Q3_K_S, "Q3_K_S", 11, GgmlType::Q3_K},
    {Preset::Q3_K_M, "Q3_K_M", 12, GgmlType::Q3_K},  {Preset::Q3_K_L, "Q3_K_L", 13, GgmlType::Q3_K},
    {Preset::Q4_K_S, "Q4_K_S", 14, GgmlType::Q4_K},  {Preset::Q4_K_M, "Q4_K_M", 15, GgmlType::Q4_K},
    {Preset::Q5_K_S, "Q5_K_S", 16, GgmlType::Q5_K},  {Preset::Q5_K_M, "Q5_K_M", 17, GgmlType::Q5_K},
    {Preset::Q6_K, "Q6_K", 18, GgmlType::Q6_K},
}};

const PresetInfo& info(Preset preset) {
  for (const auto& p : kPresets)
    if (p.preset == preset) return p;
  fail("unknown GGUF preset");
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between.
bool more_bits(int layer, int layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

// The tensor's role, stacked experts included (ffn_down_exps is an ffn_down).
bool has_role(std::string_view name, std::string_view role) {
  const std::string suffix = "." + std::string(role) + ".weight";
  const std::string experts = "." + std::string(role) + "_exps.weight";
  return name.ends_with(suffix) || name.ends_with(experts);
}

}  // namespace

std::optional<Preset> parse_preset(std::string_view name) {
  for (const auto& p : kPresets)
    if (equal_ignoring_case(p.name, name)) return p.preset;
  return std::nullopt;
}

std::string_view preset_name(Preset preset) { return info(preset).name; }

std::vector<Preset> all_presets() {
  std::vector<Preset> out;
  for (const auto& p : kPresets) out.push_back(p.preset);
  return out;
}

std::uint32_t file_type(Preset preset) { return info(preset).file_type; }
GgmlType default_type(Preset preset) { return info(preset).base; }

Preset preset_for_type(GgmlType type) {
  switch (type) {
    case GgmlType::Q3_K: return Preset::Q3_K_M;
    case GgmlType::Q4_K: return Preset::Q4_K_M;
    case GgmlType::Q5_K: return Preset::Q5_K_M;
    default: break;
  }
  for (const auto& p : kPresets)
    if (p.base == type) return p.preset;
  fail("no llama.cpp file type for ggml type {}", quant::ggml_type_name(type));
}

bool is_quantizable(std::string_view gguf_name, std::size_t n_dims) {
  return n_dims >= 2 && gguf_name.ends_with("weight") && !gguf_name.ends_with("_norm.weight") &&
         !gguf_name.ends_with("ffn_gate_inp.weight");
}

GgmlType fallback_type(GgmlType type, std::uint64_t ne0, std::string_view gguf_name) {
  if (ne0 % quant::block_elements(type) == 0) return type;
  GgmlType fallback;
  switch (type) {
    case GgmlType::Q2_K:
    case GgmlType::Q3_K: fallback = GgmlType::Q4_0; break;
    case GgmlType::Q4_K: fallback = GgmlType::Q5_0; break;
    case GgmlType::Q5_K: fallback = GgmlType::Q5_1; break;
    case GgmlType::Q6_K: fallback = GgmlType::Q8_0; break;
    default:
      fail("tensor '{}': its rows of {} elements are not a multiple of the {} block size {}, and llama.cpp has no "
           "fallback for {}; choose a K-quant or a float type",
           gguf_name, ne0, quant::ggml_type_name(type), quant::block_elements(type), quant::ggml_type_name(type));
  }
  return ne0 % quant::block_elements(fallback) == 0 ? fallback : GgmlType::F16;
}

GgmlType recipe_choice(Preset preset, const RecipeModel& model, std::string_view name, std::uint64_t ne0, bool pure) {
  const GgmlType base = default_type(preset);
  if (!quant::is_block_quantized(base)) return base;  // float presets: no recipe
  GgmlType type = base;
  const int layer = model::gguf_block_index(name).value_or(0);
  const int layers = model.block_count;
  const bool is_output = name == "output.weight" || (!model.has_output && name == "token_embd.weight");
  if (pure) {
    // nothing: the base type everywhere
  } else if (is_output) {
    if (ne0 % 256 != 0) type = GgmlType::Q8_0;
    else if (base != GgmlType::Q8_0) type = GgmlType::Q6_K;
  } else if (has_role(name, "attn_v")) {
    const int gqa = model.head_count_kv > 0 ? model.head_count / model.head_count_kv : 1;
    switch (preset) {
      case Preset::Q2_K: type = gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K; break;
      case Preset::Q3_K_M: type = layer < 2 ? GgmlType::Q5_K : GgmlType::Q4_K; break;
      case Preset::Q3_K_L: type = GgmlType::Q5_K; break;
      case Preset::Q4_K_M:
      case Preset::Q5_K_M: if (more_bits(layer, layers)) type = GgmlType::Q6_K; break;
      case Preset::Q4_K_S: if (layer < 4) type = GgmlType::Q5_K; break;
      default: break;
    }
    // llama.cpp promotes a Q3_K/Q4_K attn_v of 70B models (80 layers) to Q5_K.
    if (layers == 80 && (type == GgmlType::Q3_K || type == GgmlType::Q4_K)) type = GgmlType::Q5_K;
    if (model.expert_count == 8) type = GgmlType::Q8_0;  // llama.cpp: "trades just ~128MB" on Mixtral
  } else if (has_role(name, "attn_k") && model.expert_count == 8) {
    type = GgmlType::Q8_0;
  } else if (has_role(name, "ffn_down")) {
    switch (preset) {
      case Preset::Q2_K: type = GgmlType::Q3_K; break;
      case Preset::Q3_K_M: type = layer < layers / 16 ? GgmlType::Q5_K : GgmlType::Q4_K; break;
      case Preset::Q3_K_L: type = GgmlType::Q5_K; break;
      case Preset::Q4_K_M:
      case Preset::Q5_K_M: if (more_bits(layer, layers)) type = GgmlType::Q6_K; break;
      case Preset::Q4_K_S: if (layer < layers / 8) type = GgmlType::Q5_K; break;
      default: break;
    }
  } else if (has_role(name, "attn_output") && model.expert_count == 8) {
    switch (preset) {
      case Preset::Q2_K:
      case Preset::Q3_K_S:
      case Preset::Q3_K_M:
      case Preset::Q4_K_S:
      case Preset::Q4_K_M: type = GgmlType::Q5_K; break;
      default: break;
    }
  } else if (has_role(name, "attn_output")) {
    switch (preset) {
      case Preset::Q2_K: type = GgmlType::Q3_K; break;
      case Preset::Q3_K_M: type = GgmlType::Q4_K; break;
      case Preset::Q3_K_L: type = GgmlType::Q5_K; break;
      default: break;
    }
  }
  return type;
}

GgmlType recipe_type(Preset preset, const RecipeModel& model, std::string_view name, std::uint64_t ne0, bool pure) {
  return fallback_type(recipe_choice(preset, model, name, ne0, pure), ne0, name);
}

}  // namespace swan::gguf
