// Where a dense Llama-family decoder (Llama, Mistral, Qwen2, Qwen3) can be rescaled per
// channel without changing the function it computes. Each fold names one vector of factors c
// (one per channel), the matrices whose input columns are multiplied by it and the tensors
// that are divided by it so the product stays the same:
//   attention_input  q/k/v_proj columns * c,  input_layernorm / c            (RMSNorm(h)*gamma feeds only q/k/v)
//   mlp_input        gate/up_proj columns * c, post_attention_layernorm / c  (the same for gate/up)
//   mlp_down         down_proj columns * c,    up_proj rows (and bias) / c   (silu(gate)*up is linear in up)
//   attention_output o_proj columns * c,       v_proj rows (and bias) / c    (attention mixes values linearly)
//   output_head      lm_head columns * c,      model.norm / c                (untied heads only)
// GQA: o_proj's column of query head h, channel d reads value channel (h / group, d), so all
// query heads of one kv head share its factor (column_to_factor maps o_proj's columns).
// Not folded: the tied embedding (it is both the residual input and the head), Qwen3's q/k
// norms (they normalise per head after q/k_proj, so q/k rows cannot carry a factor; q/k
// columns are free, as above), and anything in MoE models (refused: routers, experts and
// shared experts would all have to share one c; not built).
// A description only: no tensor is read here.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "swan/model/architecture.h"

namespace swan::equalize {

enum class FoldPoint { attention_input, mlp_input, mlp_down, attention_output, output_head };

std::string to_string(FoldPoint point);

struct Fold {
  FoldPoint point = FoldPoint::attention_input;
  std::size_t channels = 0;                    // the length of c
  std::vector<std::string> scaled_columns;     // matrices [rows, cols]: column j * c[column_to_factor(j)]
  std::vector<std::string> divided;            // 1-D tensors (norm weights, biases) and matrix rows: entry i / c[i]
  std::size_t column_groups = 1;               // o_proj: query heads per kv head (1 elsewhere)
  std::size_t head_dim = 0;                    // o_proj: channels per head (0 elsewhere)

  // The factor index of input column `column` of the matrices in scaled_columns.
  std::size_t column_to_factor(std::size_t column) const;
};

// The folds of `config` at the chosen points, in layer order. `tied`: the output head is the
// embedding (no output_head fold). `has_bias(name)` says whether a bias tensor exists.
// Throws for MoE models and architectures without a plain RMSNorm * gamma.
std::vector<Fold> model_folds(const model::ModelConfig& config, bool tied, const std::vector<FoldPoint>& points,
                              const std::vector<std::string>& tensor_names);

}  // namespace swan::equalize
