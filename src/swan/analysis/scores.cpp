#include "swan/analysis/scores.h"

#include <algorithm>
#include <cmath>

namespace swan::analysis {

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

double svd_score(std::optional<double> concentration) {
  return concentration ? clamp01((*concentration - 0.1) / 0.8) : 0.0;
}

double kurtosis_score(std::optional<double> excess_kurtosis) {
  return excess_kurtosis ? clamp01(*excess_kurtosis / 10.0) : 0.0;
}

double output_sensitivity_score(double delta) {
  if (delta < 1e-6) return 0.0;
  return clamp01((std::log10(std::max(delta, 0.01)) + 2.0) / 3.0);
}

double error_proxy_score(std::optional<double> nrmse) { return nrmse ? clamp01((*nrmse - 0.005) / 0.045) : 0.0; }

double composite_score(const Scores& s, const MetricWeights& w) {
  double sum = 0.0;
  sum += w.svd * s.svd;
  sum += w.kurtosis * s.kurtosis;
  sum += w.output_sensitivity * s.output_sensitivity;
  sum += w.error_proxy * s.error_proxy;
  return sum;
}

}  // namespace swan::analysis
