#include "swan/analysis/tensor_analysis.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <string>

#include "swan/analysis/matrix_statistics.h"
#include "swan/analysis/output_noise.h"
#include "swan/analysis/spectral_concentration.h"
#include "swan/core/error.h"
#include "swan/quant/finite.h"

namespace swan::analysis {
namespace {

std::int64_t element_count(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (const auto d : shape) n *= d;
  return n;
}

}  // namespace

MatrixMetrics analyze_matrix(const MatrixView& t, std::string_view tensor_name, const AnalysisOptions& options) {
  MatrixMetrics m;
  RawMetrics& raw = m.raw;
  raw.analysis_shape = {t.rows, t.cols};

  // Kurtosis, range / RMS and the error proxy in one sweep over T.
  const MatrixStatistics stats = matrix_statistics(t);
  // A NaN or infinity makes the sum of squares non-finite; say where instead of letting the
  // eigen-solvers fail on it.
  if (!std::isfinite(stats.rms)) {
    const auto bad = quant::first_non_finite(std::span<const float>(t.data, t.size()));
    fail("tensor {}: element {} of its analysis matrix is {}; swan analyses finite weights only (check the "
         "checkpoint, or re-export it)",
         tensor_name, bad.value_or(0), bad ? std::to_string(t.data[*bad]) : std::string("non-finite"));
  }

  if (options.measure_svd) {
    Random svd_rng = Random::for_tensor(options.seed, tensor_name, "svd");
    const ConcentrationResult svd = spectral_concentration(t, svd_rng, options.svd);
    raw.concentration = svd.concentration;
    raw.exact_concentration = svd.exact_concentration;
    raw.svd_method = !svd.leading                                ? "exact"
                     : !svd.sketched                             ? "exact_leading"
                     : svd.sketch_route == SketchRoute::matrix   ? "sketch_matrix"
                     : svd.sketch_route == SketchRoute::gram     ? "sketch_gram"
                                                                 : "sketch";
    raw.singular_values = svd.values;
    raw.top_k = svd.top_k;
  } else {
    raw.svd_method = "skipped";
  }

  raw.excess_kurtosis = stats.kurtosis.excess_kurtosis;
  if (options.noise_metric == NoiseMetric::analytic) {
    raw.delta = analytic_delta(stats.range, stats.rms);
  } else {
    Random noise_rng = Random::for_tensor(options.seed, tensor_name, "noise");
    raw.delta = output_noise_sampled(t, noise_rng).delta;
  }
  raw.weight_range = stats.range;
  raw.rms = stats.rms;
  raw.nrmse = stats.error_proxy.nrmse;
  raw.quantization_rmse = stats.error_proxy.rmse;

  m.scores.svd = svd_score(raw.concentration);
  m.scores.kurtosis = kurtosis_score(raw.excess_kurtosis);
  m.scores.output_sensitivity = output_sensitivity_score(raw.delta);
  m.scores.error_proxy = error_proxy_score(raw.nrmse);
  return m;
}

bool needs_analysis(std::string_view name, std::span<const std::int64_t> shape, DType dtype,
                    const AnalysisOptions& options) {
  if (needs_error_curve(shape, dtype, options)) return true;
  if (!options.swan_metrics) return false;
  if (is_1d_tensor(shape) || element_count(shape) < kMinTensorParams || !is_float_weight_dtype(dtype)) return false;
  return options.score_protected || classify_tensor(name) != TensorClass::protected_tensor;
}

bool needs_error_curve(std::span<const std::int64_t> shape, DType dtype, const AnalysisOptions& options) {
  if (!options.error_curves || is_1d_tensor(shape) || !is_float_weight_dtype(dtype)) return false;
  if (shape.size() != 2 && shape.size() != 3) return false;
  return has_error_curve(shape.back());
}

namespace {

// SWAN's part of the entry: classification, metrics, scores and decision.
ManifestTensor analyze_tensor_metrics(std::string_view name, std::span<const std::int64_t> shape, DType dtype,
                                      const MatrixReader& read_matrix, const AnalysisOptions& options,
                                      std::span<const float> curve_column_weights);

// Rows of the stored tensor (all experts), which the curve describes; T may hold a sample.
std::int64_t stored_rows(std::span<const std::int64_t> shape) {
  return shape.size() == 3 ? shape[0] * shape[1] : shape[0];
}

}  // namespace

ManifestTensor analyze_tensor(std::string_view name, std::span<const std::int64_t> shape, DType dtype,
                              const MatrixReader& read_matrix, const AnalysisOptions& options,
                              const BlockReader& read_blocks, std::span<const float> curve_column_weights) {
  ManifestTensor entry;
  if (options.swan_metrics) {
    entry = analyze_tensor_metrics(name, shape, dtype, read_matrix, options, curve_column_weights);
  } else {
    entry.name = std::string(name);
    entry.shape.assign(shape.begin(), shape.end());
    entry.dtype = torch_dtype_name(dtype);
    entry.num_params = element_count(shape);
    entry.classification = classify_tensor(name);
    entry.decision = {16, "not decided: error curves only", {}};
  }
  if (!needs_error_curve(shape, dtype, options) || entry.error_curve) return entry;
  // Not scored (protected, tiny or curves only): read T for the curve alone — only its
  // sample when the curve samples it and the caller can read blocks.
  if (read_blocks && shape.size() == 2) {
    const auto blocks = sampled_blocks(shape[0], shape[1], options.curve_sampling);
    if (!blocks.empty()) {
      entry.error_curve = measure_error_curve_of_blocks(read_blocks(blocks), shape[0], shape[1], dtype,
                                                        options.curve_scales, curve_column_weights, blocks);
      return entry;
    }
  }
  const AnalysisLayout layout = analysis_layout(shape);
  const std::span<const float> values = read_matrix(layout);
  SWAN_CHECK(values.size() == static_cast<std::size_t>(layout.rows * layout.cols),
             "tensor {}: analysis matrix has {} values, expected {}x{}", name, values.size(), layout.rows, layout.cols);
  entry.error_curve =
      measure_error_curve({values.data(), layout.rows, layout.cols}, stored_rows(shape), dtype, options.curve_sampling,
                          options.curve_scales, curve_column_weights);
  return entry;
}

namespace {

ManifestTensor analyze_tensor_metrics(std::string_view name, std::span<const std::int64_t> shape, DType dtype,
                                      const MatrixReader& read_matrix, const AnalysisOptions& options,
                                      std::span<const float> curve_column_weights) {
  const Thresholds thresholds = Thresholds::of(options.threshold_set);
  ManifestTensor entry;
  entry.name = std::string(name);
  entry.shape.assign(shape.begin(), shape.end());
  entry.dtype = torch_dtype_name(dtype);
  entry.num_params = element_count(shape);
  const TensorClass name_class = classify_tensor(name);

  if (is_1d_tensor(shape)) {  // labelled "protected" whatever the name (quirk 8)
    entry.classification = TensorClass::protected_tensor;
    entry.scores = Scores{};
    entry.composite_score = 0.0;
    entry.decision = one_d_tensor_decision();
    return entry;
  }
  entry.classification = name_class;
  if (entry.num_params < kMinTensorParams) {  // "skipped": zero scores, key quirk, normal decision
    entry.scores = Scores{};
    entry.scores->cross_layer_key = true;
    entry.composite_score = 0.0;
    entry.decision = recommend_bits(0.0, name_class, thresholds);
    return entry;
  }
  if (!options.score_protected && name_class == TensorClass::protected_tensor) {
    entry.decision = recommend_bits(0.0, name_class, thresholds);  // 16, protected_pattern
    return entry;
  }
  if (!is_float_weight_dtype(dtype)) {
    // The reference would widen anything with .float(); swan reads only F32/F16/BF16 as
    // numbers, so other types are kept at full precision rather than guessed at.
    entry.decision = {16, "unsupported_dtype", {}};
    return entry;
  }

  const AnalysisLayout layout = analysis_layout(shape);
  const std::span<const float> values = read_matrix(layout);
  SWAN_CHECK(values.size() == static_cast<std::size_t>(layout.rows * layout.cols),
             "tensor {}: analysis matrix has {} values, expected {}x{}", name, values.size(), layout.rows, layout.cols);
  const MatrixView t{values.data(), layout.rows, layout.cols};
  MatrixMetrics metrics = analyze_matrix(t, name, options);
  metrics.raw.expert_slices = layout.expert_slices;
  entry.scores = metrics.scores;
  entry.composite_score = composite_score(metrics.scores);
  entry.raw = std::move(metrics.raw);
  entry.decision = recommend_bits(*entry.composite_score, name_class, thresholds);
  if (needs_error_curve(shape, dtype, options))
    entry.error_curve = measure_error_curve(t, stored_rows(shape), dtype, options.curve_sampling, options.curve_scales,
                                            curve_column_weights);
  return entry;
}

}  // namespace

}  // namespace swan::analysis
