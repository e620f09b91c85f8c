// A parameter's source bytes from the checkpoint mapping; see parameter_source.h.
#include "swan/model/parameter_source.h"

#include <vector>

#include "swan/core/error.h"

namespace swan::model {

quant::ParameterSource checkpoint_parameter(const ModelDirectory& source, std::string name,
                                            std::span<const std::string> tensors, std::size_t cols) {
  quant::ParameterSource out;
  out.name = std::move(name);
  out.cols = cols;
  std::vector<const ModelTensor*> parts;
  for (const auto& tensor : tensors) {
    const ModelTensor* t = source.find(tensor);
    if (t == nullptr) fail("parameter '{}': the checkpoint has no tensor '{}'", out.name, tensor);
    if (!parts.empty() && t->info->dtype != out.dtype)
      fail("parameter '{}': tensor '{}' is {}, the others {}", out.name, tensor, dtype_name(t->info->dtype),
           dtype_name(out.dtype));
    out.dtype = t->info->dtype;
    parts.push_back(t);
    out.parts.push_back(source.file(*t).data(*t->info));
  }
  out.release = [&source, parts](std::size_t part, std::size_t offset, std::size_t bytes) {
    source.file(*parts[part]).release(*parts[part]->info, offset, bytes);
  };
  return out;
}

void release_all(const quant::ParameterSource& parameter) {
  if (!parameter.release) return;
  for (std::size_t i = 0; i < parameter.parts.size(); ++i) parameter.release(i, 0, parameter.parts[i].size());
}

}  // namespace swan::model
