#include "swan/quant/scale_method.h"

#include "swan/core/error.h"

namespace swan::quant {

ScaleMethod parse_scale_method(std::string_view name) {
  if (name == "minmax") return ScaleMethod::minmax;
  if (name == "optimized") return ScaleMethod::optimized;
  fail("unknown scale method '{}': use minmax or optimized", name);
}

std::string to_string(ScaleMethod method) { return method == ScaleMethod::optimized ? "optimized" : "minmax"; }

}  // namespace swan::quant
