#include "swan/analysis/options.h"

#include "swan/core/error.h"

namespace swan::analysis {

std::string_view noise_metric_name(NoiseMetric metric) {
  return metric == NoiseMetric::analytic ? "analytic" : "sampled";
}

NoiseMetric parse_noise_metric(std::string_view name) {
  if (name == "analytic") return NoiseMetric::analytic;
  if (name == "sampled") return NoiseMetric::sampled;
  fail("unknown noise metric \"{}\" (expected \"analytic\" or \"sampled\")", name);
}

}  // namespace swan::analysis
