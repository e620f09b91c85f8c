// From raw metric values to SWAN's [0, 1] scores and the weighted composite (spec §2.3-2.7).
#pragma once

#include <optional>

namespace swan::analysis {

struct MetricWeights {
  double svd = 0.20;
  double kurtosis = 0.45;
  double output_sensitivity = 0.15;
  double error_proxy = 0.20;
};

struct Scores {
  double svd = 0.0;
  double kurtosis = 0.0;
  double output_sensitivity = 0.0;
  double error_proxy = 0.0;
  // The reference writes the fourth key as "cross_layer" for tiny (< 1024 params) tensors.
  bool cross_layer_key = false;

  bool operator==(const Scores&) const = default;
};

double clamp01(double x);
// clamp((c - 0.1) / 0.8); 0 when the energy guard tripped (empty).
double svd_score(std::optional<double> concentration);
// clamp(K / 10); 0 when the variance guard tripped.
double kurtosis_score(std::optional<double> excess_kurtosis);
// 0 if delta < 1e-6, else clamp((log10(max(delta, 0.01)) + 2) / 3).
double output_sensitivity_score(double delta);
// clamp((nrmse - 0.005) / 0.045); 0 when the rms guard tripped.
double error_proxy_score(std::optional<double> nrmse);

// Summed in the reference's order: svd, kurtosis, output_sensitivity, error_proxy.
double composite_score(const Scores& scores, const MetricWeights& weights = {});

}  // namespace swan::analysis
