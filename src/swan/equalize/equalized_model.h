// `--equalize`: rescales an opened HF model directory in place of its tensors, so that every
// later step (error curves, input importance, the MLX writer) sees the equalised model as if
// it were the checkpoint. For each fold (equalize/folds.h) the factors come from the weights
// alone (equalize/column_balance.h); the rescaled tensors are written in their own dtype into
// one safetensors file in a private temporary directory, mapped as an overlay of the model
// (ModelDirectory::overlay) and unlinked at once, so nothing is left behind, even after a
// crash once this returns. The input directory is only read.
// Cost: one read of every folded tensor, float32 copies of one fold's matrices at a time,
// and temporary disk space for the rescaled tensors (under TMPDIR, default /tmp).
// Rounding: the rescaled tensors are stored in the model's dtype, as the writer would round
// them anyway. Each norm weight is made exact: its channel's factor is adjusted to
// c = gamma / gamma', gamma' = gamma / c rounded to the dtype, so the norm stores gamma'
// with no further rounding and the matrices carry the adjusted c. What remains is one
// rounding of each rescaled matrix entry to the dtype (none for float32 models, where the
// unquantized model's logits agree to float32 rounding; bf16: see the test). A value that
// overflows the dtype (F16) is refused, naming the tensor.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "swan/equalize/column_balance.h"
#include "swan/equalize/folds.h"
#include "swan/io/model_directory.h"

namespace swan::equalize {

// The fold points a bare `--equalize` uses: the norm folds (attention_input, mlp_input,
// output_head). They did what equalising every point did; mlp_down and attention_output
// changed KL-divergence by no more than its noise (README, "Optimized scales").
std::vector<FoldPoint> default_fold_points();
// Parses a comma-separated list of fold point names, or "all".
std::vector<FoldPoint> parse_fold_points(const std::string& list);

struct EqualizeOptions {
  std::vector<FoldPoint> points = default_fold_points();
  BalanceRule rule;
  std::filesystem::path temp_parent;  // empty: std::filesystem::temp_directory_path()
};

struct EqualizeSummary {
  std::size_t folds = 0;
  std::size_t tensors = 0;          // tensors rescaled
  std::size_t channels = 0;         // factors in all folds
  std::size_t channels_changed = 0; // factors other than 1
  double min_log2 = 0, max_log2 = 0;  // range of log2(c)
};

// The factors of every fold of `model` (read-only; for tests and the summary).
std::vector<std::vector<float>> fold_factors(const ModelDirectory& model, const std::vector<Fold>& folds,
                                             const BalanceRule& rule);

// The folds `options` selects for `model`.
std::vector<Fold> selected_folds(const ModelDirectory& model, const EqualizeOptions& options);

// Rescales `model` (see above). Throws naming the tensor on a shape it does not expect.
EqualizeSummary equalize_model(ModelDirectory& model, const EqualizeOptions& options = {});

// One line for the terminal.
std::string format_summary(const EqualizeSummary& summary);

}  // namespace swan::equalize
