// One tensor through SWAN's per-tensor procedure (spec §2-4), no I/O: the 1-D and tiny
// paths, the four metrics on the analysis matrix, scores, composite and bit decision.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "swan/analysis/analysis_matrix.h"
#include "swan/analysis/manifest.h"
#include "swan/analysis/matrix_view.h"
#include "swan/analysis/options.h"
#include "swan/core/dtype.h"

namespace swan::analysis {

struct MatrixMetrics {
  RawMetrics raw;
  Scores scores;
};

// The four metrics of T. Random draws come from streams seeded by (options.seed, tensor_name).
MatrixMetrics analyze_matrix(const MatrixView& t, std::string_view tensor_name, const AnalysisOptions& options);

// Produces T for a layout; called only when the tensor is actually analysed. The values
// belong to the reader and must stay valid until analyze_tensor returns.
using MatrixReader = std::function<std::span<const float>(const AnalysisLayout&)>;

// Produces the values of some 128-column blocks of a 2-D tensor (flat block indices as
// sampled_blocks gives them), 128 values each, in that order; the values belong to the
// reader. With one, a matrix read for its error curve alone (an embedding, an untied lm_head)
// is widened only where the curve samples it, not whole.
using BlockReader = std::function<std::span<const float>(std::span<const std::int64_t> blocks)>;

// Whether analyze_tensor will call its reader for this tensor (and so read its data).
bool needs_analysis(std::string_view name, std::span<const std::int64_t> shape, DType dtype,
                    const AnalysisOptions& options);

// Whether the tensor gets an error curve (options.error_curves, a float 2-D or 3-D matrix
// whose last dimension a group size divides).
bool needs_error_curve(std::span<const std::int64_t> shape, DType dtype, const AnalysisOptions& options);

// The manifest entry of one tensor (with its error curve when options ask for one).
// `curve_column_weights`: the column weights the writer's optimized quantizer will use for
// this tensor (input_importance.h; shape.back() values or empty), so the curve measures it.
ManifestTensor analyze_tensor(std::string_view name, std::span<const std::int64_t> shape, DType dtype,
                              const MatrixReader& read_matrix, const AnalysisOptions& options,
                              const BlockReader& read_blocks = {},
                              std::span<const float> curve_column_weights = {});

}  // namespace swan::analysis
