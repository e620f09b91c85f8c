// llama.cpp's naming conventions for the Llama-family decoders (llama, also Mistral and
// Mixtral; qwen2; qwen3; qwen3moe): the GGUF architecture string, which HF tensors become
// which GGUF tensors, and which rows the converter permutes. Spec:
// ../shared/specs/gguf-format.md §3.2–3.3; the MoE names are llama.cpp's (src/llama-arch.cpp:
// ffn_gate_inp for the router, ffn_{gate,up,down}_exps for the experts stacked into one 3-D
// tensor per projection, expert index outermost). Pure functions on names: no I/O, no tensor data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "swan/model/architecture.h"

namespace swan::model {

// "llama" (Llama, Mistral and Mixtral), "qwen2", "qwen3", "qwen2moe", "qwen3moe": the value
// of general.architecture and the prefix of every hyper-parameter key.
std::string_view gguf_architecture(Architecture architecture);

// An HF per-expert tensor ("model.layers.3.mlp.experts.5.gate_proj.weight", Mixtral's
// "model.layers.3.block_sparse_moe.experts.5.w1.weight") as the stacked GGUF tensor it
// belongs to ("blk.3.ffn_gate_exps.weight") and its expert index; nullopt for other names.
struct ExpertSlice {
  std::string gguf_name;
  int expert = 0;
};
std::optional<ExpertSlice> gguf_expert_slice(std::string_view hf_name);

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight"; nullopt for a tensor
// llama.cpp's loader does not create for these architectures (rotary inv_freq buffers, ...),
// which a writer must leave out (extra tensors fail the load).
std::optional<std::string> gguf_tensor_name(std::string_view hf_name);

// The block index of "blk.N.*", or nullopt for a tensor outside the blocks.
std::optional<int> gguf_block_index(std::string_view gguf_name);

// The llama architecture uses ROPE_TYPE_NORM (adjacent pairs), HF checkpoints rotate
// halves: q_proj and k_proj rows (weights and biases) are reordered within each head.
// qwen2/qwen3 use NEOX RoPE like HF and are not permuted. Returns the number of heads whose
// rows are permuted for this tensor, or 0 when it is not permuted.
int permuted_heads(Architecture architecture, std::string_view hf_name, const ModelConfig& config);

// Source row of GGUF row `row` in a tensor permuted over heads of `head_dim` rows: GGUF row
// 2j of a head is HF row j, GGUF row 2j + 1 is HF row j + head_dim / 2.
std::size_t permuted_source_row(std::size_t row, std::size_t head_dim);

}  // namespace swan::model
