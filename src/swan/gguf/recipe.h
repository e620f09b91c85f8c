// llama-quantize's per-tensor type choices (src/llama-quant.cpp, no importance matrix) for
// the dense llama / qwen2 / qwen3 models: the presets' recipes, `--pure`, and the shape
// fallback. Spec: ../shared/specs/gguf-format.md §6. Policy only: names and shapes in,
// ggml types out; no tensor data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swan/quant/ggml_type.h"

namespace swan::gguf {

enum class Preset { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K };

// Case-insensitive preset name ("Q4_K_M"); nullopt if unknown.
std::optional<Preset> parse_preset(std::string_view name);
std::string_view preset_name(Preset preset);
std::vector<Preset> all_presets();
// The llama_ftype written as general.file_type.
std::uint32_t file_type(Preset preset);
// The preset's base type (Q4_K_M -> Q4_K).
quant::GgmlType default_type(Preset preset);
// The preset a uniform `--type` corresponds to, for general.file_type (llama-quantize's
// names: Q3_K means Q3_K_M, Q4_K means Q4_K_M, Q5_K means Q5_K_M).
Preset preset_for_type(quant::GgmlType type);

// What the recipe needs to know about the model.
struct RecipeModel {
  int block_count = 0;
  int head_count = 0;
  int head_count_kv = 0;
  bool has_output = true;  // false: token_embd.weight doubles as the output matrix
  int expert_count = 0;    // MoE: llama.cpp gives 8-expert models more bits in attention
};

// True for the tensors llama-quantize quantizes: at least 2-D, name ending in "weight",
// not a norm, not an MoE router (ffn_gate_inp).
bool is_quantizable(std::string_view gguf_name, std::size_t n_dims);

// The recipe's type before the shape fallback (what llama-quantize warns about).
quant::GgmlType recipe_choice(Preset preset, const RecipeModel& model, std::string_view gguf_name, std::uint64_t ne0,
                              bool pure);

// The type llama-quantize gives a quantizable tensor. `ne0` is its row length. With `pure`
// every tensor gets the preset's base type; the shape fallback applies either way.
quant::GgmlType recipe_type(Preset preset, const RecipeModel& model, std::string_view gguf_name, std::uint64_t ne0,
                            bool pure);

// The shape fallback alone: `type` if ne0 is a multiple of its block, else the type
// llama.cpp falls back to (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K -> Q4_0, then
// F16); float types always fit; throws for a legacy type that does not fit.
quant::GgmlType fallback_type(quant::GgmlType type, std::uint64_t ne0, std::string_view gguf_name);

}  // namespace swan::gguf
