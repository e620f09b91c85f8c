#include "swan/analysis/analysis_matrix.h"

#include <algorithm>
#include <cstring>

#include "swan/core/error.h"

namespace swan::analysis {

bool is_1d_tensor(std::span<const std::int64_t> shape) {
  if (shape.size() <= 1) return true;
  return shape.size() == 2 && std::min(shape[0], shape[1]) == 1;
}

std::vector<std::int64_t> sampled_expert_indices(std::int64_t experts) {
  // linspace(0, E-1, 4) = i*(E-1)/3; the fractional part is 0, 1/3 or 2/3, so float32
  // truncation and exact integer division agree.
  std::vector<std::int64_t> indices;
  for (std::int64_t i = 0; i < 4; ++i) indices.push_back(i * (experts - 1) / 3);
  return indices;
}

AnalysisLayout analysis_layout(std::span<const std::int64_t> shape) {
  SWAN_CHECK(shape.size() >= 2, "analysis needs a tensor of rank >= 2, got rank {}", shape.size());
  AnalysisLayout layout;
  if (shape.size() == 2) {
    layout.rows = shape[0];
    layout.cols = shape[1];
  } else if (shape.size() == 3) {
    const std::int64_t experts = shape[0];
    if (experts <= 4) {
      for (std::int64_t e = 0; e < experts; ++e) layout.expert_slices.push_back(e);
    } else {
      layout.expert_slices = sampled_expert_indices(experts);
    }
    layout.rows = static_cast<std::int64_t>(layout.expert_slices.size()) * shape[1];
    layout.cols = shape[2];
  } else {
    layout.rows = shape[0];
    layout.cols = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) layout.cols *= shape[d];
  }
  return layout;
}

std::vector<float> gather_analysis_matrix(std::span<const float> tensor, std::span<const std::int64_t> shape,
                                          const AnalysisLayout& layout) {
  if (shape.size() != 3) return {tensor.begin(), tensor.end()};
  const std::size_t expert_size = static_cast<std::size_t>(shape[1] * shape[2]);
  std::vector<float> out(static_cast<std::size_t>(layout.rows * layout.cols));
  for (std::size_t i = 0; i < layout.expert_slices.size(); ++i) {
    const auto expert = static_cast<std::size_t>(layout.expert_slices[i]);
    std::memcpy(out.data() + i * expert_size, tensor.data() + expert * expert_size, expert_size * sizeof(float));
  }
  return out;
}

std::vector<float> read_analysis_matrix(const ModelDirectory& model, const ModelTensor& tensor,
                                        const AnalysisLayout& layout) {
  std::vector<float> out;
  read_analysis_matrix(model, tensor, layout, out);
  return out;
}

void read_analysis_matrix(const ModelDirectory& model, const ModelTensor& tensor, const AnalysisLayout& layout,
                          std::vector<float>& out) {
  const TensorInfo& info = *tensor.info;
  out.resize(static_cast<std::size_t>(layout.rows * layout.cols));
  if (info.shape.size() != 3) {
    model.file(tensor).read_float(info, out);
    return;
  }
  const auto bytes = model.file(tensor).data(info);
  const std::size_t expert_size = static_cast<std::size_t>(info.shape[1] * info.shape[2]);
  const std::size_t element = dtype_size(info.dtype);
  for (std::size_t i = 0; i < layout.expert_slices.size(); ++i) {
    const auto expert = static_cast<std::size_t>(layout.expert_slices[i]);
    convert_to_float(info.dtype, bytes.subspan(expert * expert_size * element, expert_size * element),
                     std::span<float>(out.data() + i * expert_size, expert_size));
  }
}

void read_matrix_blocks(const ModelDirectory& model, const ModelTensor& tensor, std::span<const std::int64_t> blocks,
                        std::vector<float>& out) {
  constexpr std::size_t kBlock = 128;
  const TensorInfo& info = *tensor.info;
  SWAN_CHECK(info.shape.size() == 2 && info.shape[1] % static_cast<std::int64_t>(kBlock) == 0,
             "tensor {}: 128-column blocks need a 2-D tensor whose columns are a multiple of 128", info.name);
  const auto bytes = model.file(tensor).data(info);
  const std::size_t element = dtype_size(info.dtype);
  const auto total_blocks = info.num_elements() / static_cast<std::int64_t>(kBlock);
  out.resize(blocks.size() * kBlock);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    SWAN_CHECK(blocks[i] >= 0 && blocks[i] < total_blocks, "tensor {}: block {} is outside its {} blocks", info.name,
               blocks[i], total_blocks);
    const auto first = static_cast<std::size_t>(blocks[i]) * kBlock;
    convert_to_float(info.dtype, bytes.subspan(first * element, kBlock * element),
                     std::span<float>(out.data() + i * kBlock, kBlock));
  }
}

}  // namespace swan::analysis
