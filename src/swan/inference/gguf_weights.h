// The tensors of a llama / qwen2 / qwen3 / qwen3moe decoder (MoE: router ffn_gate_inp, experts
// cut out of the stacked ffn_*_exps tensors) located in a GGUF file (llama.cpp's
// names, spec §3.2), as the same ModelWeights the HF and MLX paths produce: matrices stay in
// the mapping in their ggml type and are dequantized a band of rows at a time; llama's q/k
// rows are read back in HF order (undoing the converter's RoPE permutation, §3.3), so the
// forward pass is the one for HF checkpoints. Norms and biases are copied out as float32.
#pragma once

#include "swan/gguf/reader.h"
#include "swan/inference/model_weights.h"

namespace swan::inference {

// Throws swan::Error naming the tensor for a missing tensor or a shape that does not match
// the hyper-parameters. The returned views point into `file`, which must outlive them.
ModelWeights locate_gguf_weights(const gguf::GgufFile& file, const model::ModelConfig& config);

// rope_freqs.weight (llama 3 rope scaling) as the divisors of the inverse frequencies, or
// empty when the file has none.
std::vector<float> gguf_rope_factors(const gguf::GgufFile& file, std::size_t head_dim);

}  // namespace swan::inference
