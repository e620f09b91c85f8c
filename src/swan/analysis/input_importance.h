// Data-free importance of each input column of a weight matrix, for optimized scales
// (quant/affine_optimized.h weighs each column's squared error by it). A matrix W reads an
// input vector a; its output error is sum_j (error in column j) * a_j, so with independent
// inputs of mean square v_j the expected squared output error is sum_j v_j * (column j
// error)^2. No calibration data gives v_j, but for the matrices that read an RMSNorm's output
// the checkpoint does up to a common factor: the normalised vector has unit mean square
// before the norm weight gamma multiplies channel j, so v_j ~ gamma_j^2 (llama.cpp's
// importance-matrix idea, with the norm weight standing in for the activations):
//   q/k/v_proj                          input_layernorm of the same layer
//   gate/up_proj, routers, experts'     post_attention_layernorm of the same layer
//   gate/up (stacked or not)
//   lm_head, and a tied embedding       the final norm (model.norm)
// Everything else is uniform (empty result): o_proj and down_proj read no norm, and proxies
// for them (the value channels' variance through v_proj; E[silu(g)^2]·var(u) through
// gate/up) measured no lower KL-divergence (README, "Optimized scales"); an embedding used
// only as a lookup has no input columns; a norm weight that is missing or of the wrong shape
// gives uniform too.
// The result has mean 1 (the quantizer only compares errors within a group) and lies in
// [1e-6, 2^20], the quantizer's accepted range (a zero gamma still counts a little, so that
// column's codes are not arbitrary). Reads only the norm weights; no quantization here.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "swan/io/model_directory.h"

namespace swan::analysis {

// One weight per input column of `tensor_name` (an HF tensor name in `model`, `cols` columns),
// or empty for uniform importance. `tied`: the embedding is also the output head.
std::vector<float> input_column_importance(const ModelDirectory& model, std::string_view tensor_name,
                                           std::size_t cols, bool tied);

// Squared norm weights scaled to mean 1 and clamped into [1e-6, 2^20] (empty if none is
// positive and finite): the rule above, apart from the lookup of the norm.
std::vector<float> importance_from_norm_weight(std::vector<float> gamma);

}  // namespace swan::analysis
