// Options of a SWAN analysis run.
#pragma once

#include <cstdint>
#include <string_view>

#include "swan/analysis/bit_decision.h"
#include "swan/analysis/error_curve.h"
#include "swan/analysis/spectral_concentration.h"

namespace swan::analysis {

enum class NoiseMetric { analytic, sampled };

std::string_view noise_metric_name(NoiseMetric metric);  // "analytic" | "sampled"
NoiseMetric parse_noise_metric(std::string_view name);

// Tensors with fewer elements are not analysed (the reference's min_tensor_params).
inline constexpr std::int64_t kMinTensorParams = 1024;

struct AnalysisOptions {
  ThresholdSet threshold_set = ThresholdSet::cli;
  NoiseMetric noise_metric = NoiseMetric::analytic;
  std::uint64_t seed = 0;  // per-tensor streams come from (seed, tensor name)
  // The reference analyses name-protected tensors only to override the result with 16
  // bits; skipping them saves most of the time on large embeddings (spec quirk 4).
  bool score_protected = false;
  int threads = 1;           // tensors analysed concurrently
  bool record_time = true;   // false: analysis_time_seconds = 0, for byte-identical output
  SvdOptions svd;  // the estimator of the leading path (n > 512) and where it runs
  // false skips the SVD metric (score 0, no concentration recorded). Only for measuring the
  // cost of the other metrics in benchmarks: decisions are then not SWAN's.
  bool measure_svd = true;
  // Error curves for every float matrix whose last dimension is a multiple of 32, protected
  // names included (the byte-budget planner decides embeddings and lm_head too).
  bool error_curves = false;
  // false: error curves only (what `swan plan` needs); no SWAN metrics or decisions.
  bool swan_metrics = true;
  CurveSampling curve_sampling;
  quant::ScaleMethod curve_scales = quant::ScaleMethod::minmax;  // the quantizer the curves measure
};

}  // namespace swan::analysis
