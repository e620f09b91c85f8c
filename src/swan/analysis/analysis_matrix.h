// Which matrix SWAN analyses for a stored tensor of any rank (spec §2.1-2.2):
//   * 1-D tensors ([N], [1,N], [N,1], scalars) are never analysed;
//   * 2-D tensors as they are; >=4-D tensors reshaped to [d0, -1];
//   * 3-D packed experts [E,R,C]: all experts when E <= 4, otherwise the four experts
//     torch.linspace(0, E-1, 4).long() picks (truncated toward zero), stacked to [4R, C].
// Reading only the sampled experts keeps a 128-expert MoE tensor from being widened whole.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "swan/analysis/matrix_view.h"
#include "swan/io/model_directory.h"

namespace swan::analysis {

// len(shape) <= 1, or 2-D with a unit dimension: the reference's `is_1d_tensor`.
bool is_1d_tensor(std::span<const std::int64_t> shape);

struct AnalysisLayout {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::vector<std::int64_t> expert_slices;  // 3-D only: expert indices that make up T
};

// Precondition: shape has >= 2 dimensions.
AnalysisLayout analysis_layout(std::span<const std::int64_t> shape);

// The expert indices torch.linspace(0, E-1, 4).long() yields for E > 4.
std::vector<std::int64_t> sampled_expert_indices(std::int64_t experts);

// Builds T (float32, row-major) from the whole tensor's float values.
std::vector<float> gather_analysis_matrix(std::span<const float> tensor, std::span<const std::int64_t> shape,
                                          const AnalysisLayout& layout);

// Reads T straight from a model directory, widening only the experts that are sampled.
std::vector<float> read_analysis_matrix(const ModelDirectory& model, const ModelTensor& tensor,
                                        const AnalysisLayout& layout);
// The same into a caller's buffer (resized; reusing it saves page faults on every tensor).
void read_analysis_matrix(const ModelDirectory& model, const ModelTensor& tensor, const AnalysisLayout& layout,
                          std::vector<float>& out);

// The 128-column blocks of a 2-D tensor with these flat indices (row * cols/128 + block),
// 128 values each, widened to float32 into `out` (resized).
void read_matrix_blocks(const ModelDirectory& model, const ModelTensor& tensor, std::span<const std::int64_t> blocks,
                        std::vector<float>& out);

}  // namespace swan::analysis
