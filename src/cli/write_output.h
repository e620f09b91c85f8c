// The write step shared by `swan convert` and `swan quantize`: output options, the
// progress line (tensors/s and ETA on a terminal) and the closing summary.
#pragma once

#include <string>

#include "swan/io/model_directory.h"
#include "swan/plan/quant_plan.h"

namespace swan::cli {

struct OutputOptions {
  std::string output;
  std::string dtype;  // empty: the model's torch_dtype
  bool force = false;
  bool quiet = false;
};

void write_mlx_output(const ModelDirectory& source, const plan::QuantPlan& plan, const OutputOptions& options);

}  // namespace swan::cli
