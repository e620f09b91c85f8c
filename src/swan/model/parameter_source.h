// The source of one output parameter for quant/row_bands.h, straight from the checkpoint's
// memory mapping: the bytes of each HF tensor it is made of, in order (stacked experts are
// several), and the release hook that drops a finished range's pages from the resident set.
// The MLX and GGUF writers both take their tensors' bytes from here.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "swan/io/model_directory.h"
#include "swan/quant/row_bands.h"

namespace swan::model {

// `tensors` name checkpoint tensors of one dtype; `cols` is the row length the quantizer
// sees. Throws naming the parameter if a tensor is missing. The source directory must
// outlive the result.
quant::ParameterSource checkpoint_parameter(const ModelDirectory& source, std::string name,
                                            std::span<const std::string> tensors, std::size_t cols);

// Drops every source page of the parameter (after a pass that read it all at once).
void release_all(const quant::ParameterSource& parameter);

}  // namespace swan::model
