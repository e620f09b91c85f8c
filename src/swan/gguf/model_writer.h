// HF model directory -> one GGUF file llama.cpp loads (spec: ../shared/specs/gguf-format.md
// §2–3, §7). The layout is llama-quantize's: tensors outside the blocks sorted by name, then
// each block's tensors sorted by name; metadata general.* / hyper-parameters / tokenizer,
// with general.quantization_version and general.file_type last.
//
// One tensor at a time, straight from the mmap, in row bands on all cores
// (quant/row_bands.h; the same path as the MLX writer): widen to float32 -> reject NaN/Inf
// (naming the tensor) -> for F16/BF16 output round and reject overflow -> quantize each row
// to its ggml type (quant/ggml_quantize.h) -> for llama's q/k, move whole rows into
// llama.cpp's RoPE order (the permutation commutes with row-wise quantization) -> written
// on a background thread while the next tensor is quantized. Norms, biases, rope_freqs and
// MoE routers (ffn_gate_inp, as llama.cpp's converter and llama-quantize keep them) are F32.
// MoE experts: HF's per-expert matrices are stacked into llama.cpp's 3-D ffn_*_exps tensors
// (ne = [cols, rows, experts]), each expert's rows quantized from its own source tensor.
// llama.cpp's qwen3moe runs an MoE block in every layer and always renormalises the top-k
// weights, so a Qwen3-MoE with dense layers (mlp_only_layers, decoder_sparse_step > 1) or
// norm_topk_prob false is refused rather than written into a file that computes otherwise. The file is written under a temporary name and renamed when complete
// (writer.h); the input is only read. Output is a pure function of (input, types, name).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "swan/gguf/format.h"
#include "swan/gguf/recipe.h"
#include "swan/io/model_directory.h"
#include "swan/model/architecture.h"

namespace swan::gguf {

// One GGUF tensor and where it comes from.
struct PlannedTensor {
  std::string name;          // GGUF name
  std::string source;        // HF tensor name (expert 0's for stacked experts); empty for generated tensors (rope_freqs)
  std::vector<std::string> expert_sources;  // stacked MoE experts: the HF tensor of each expert, in order
  std::vector<std::uint64_t> ne;  // ggml order
  quant::GgmlType type = quant::GgmlType::F32;
  int permuted_heads = 0;    // > 0: rows reordered for llama's RoPE, in heads of ne[1] / permuted_heads rows
  std::uint64_t bytes() const;
};

// How each quantizable tensor's type is chosen: a preset's recipe, a uniform type (`--pure`
// meaning: every quantizable tensor that type, shape fallback still applied), and optional
// per-tensor overrides by GGUF name (for a planner), which also get the shape fallback.
struct TypeChoice {
  Preset preset = Preset::Q4_K_M;
  bool pure = false;
  std::map<std::string, quant::GgmlType> overrides;
};

// What llama-quantize's recipe sees of this model (layers, heads, output head, experts).
RecipeModel recipe_model(const ModelDirectory& source, const model::ModelConfig& config);

// The tensors of the output in file order, with their types. Throws for a tensor llama.cpp
// would not load (a type that does not fit its rows and has no fallback, an unknown name).
std::vector<PlannedTensor> plan_gguf_tensors(const ModelDirectory& source, const model::ModelConfig& config,
                                             const TypeChoice& choice);

// general.*, hyper-parameter and tokenizer keys, then quantization_version and file_type.
// `name` is general.name; `parameters` the element count of the written tensors (for
// general.size_label, formatted as the converter does: "853K", "2.0M", "1.5B").
Metadata build_gguf_metadata(const ModelDirectory& source, const model::ModelConfig& config, const std::string& name,
                             std::uint64_t parameters, std::uint32_t file_type, std::size_t vocab_rows);

// The converter's general.size_label for a parameter count.
std::string size_label(std::uint64_t parameters);

struct GgufWriteOptions {
  TypeChoice choice;
  std::optional<std::string> name;  // general.name; default: the input directory's name
  bool force = false;               // replace an existing output file
  std::function<void(std::size_t index, std::size_t count, const std::string& tensor)> on_tensor;
  // Tensors are encoded and written this many bytes at a time at most (a slab of whole rows;
  // the bytes do not depend on it). 32 MB: large enough that the per-slab join of the
  // encoding threads costs little, small enough that the few pooled slabs are cheap.
  std::size_t slab_bytes = std::size_t{32} << 20;
};

struct GgufWriteResult {
  std::filesystem::path path;
  std::vector<PlannedTensor> tensors;
  std::uint64_t file_bytes = 0;
  std::uint64_t weight_elements = 0;  // of the quantizable tensors
  std::uint64_t weight_bytes = 0;
  std::vector<std::string> fallbacks;  // "tensor: chosen -> written" where the shape forced another type
};

GgufWriteResult write_gguf_model(const ModelDirectory& source, const std::filesystem::path& out_file,
                                 const GgufWriteOptions& options);

// A few lines for the terminal: where it went, size, bits per weight, types used.
std::string format_gguf_write_result(const GgufWriteResult& result);

}  // namespace swan::gguf
