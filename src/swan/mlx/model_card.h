// The README.md model card of an MLX directory written by swan: how it was quantized
// (method, global settings, fallbacks), the bits distribution, average bits per weight with
// and without the scale/bias overhead, and the size.
#pragma once

#include <string>
#include <vector>

#include "swan/mlx/size_summary.h"
#include "swan/plan/quant_plan.h"

namespace swan::mlx {

struct ModelCardInput {
  std::string source_name;  // the input directory's name
  const plan::QuantPlan* plan = nullptr;
  const SizeSummary* summary = nullptr;
  std::string dtype;  // written float dtype, e.g. "BF16", or "source dtypes"
};

std::string model_card(const ModelCardInput& input);

}  // namespace swan::mlx
