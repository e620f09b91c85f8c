// Every tensor of the three golden models against the SWAN reference's own numbers
// (shared/golden/swan-reference/*_metrics.json), with the tolerances of its README.
#include <gtest/gtest.h>

#include <cblas.h>
#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>

#include "analysis/golden_support.h"
#include "swan/analysis/analysis_matrix.h"
#include "swan/analysis/output_noise.h"
#include "swan/analysis/random.h"
#include "swan/analysis/scores.h"
#include "swan/analysis/spectral_concentration.h"

namespace swan::analysis {
namespace {

using nlohmann::json;
using test::analyzed_model;
using test::load_golden;

void expect_near_optional(const std::optional<double>& ours, const json& golden, double tolerance,
                          const std::string& what) {
  if (golden.is_null()) {
    EXPECT_FALSE(ours.has_value()) << what << " should be undefined";
  } else {
    ASSERT_TRUE(ours.has_value()) << what << " is undefined, golden " << golden.dump();
    EXPECT_NEAR(*ours, golden.get<double>(), tolerance) << what;
  }
}

// Threshold reasons carry "{:.3f}" of the composite. The README allows 0.001 against the
// seed-0 reason, but our deterministic (analytic) composite may sit anywhere in the
// reference's seed range (checked separately, widened by 0.003), so the number must be
// our own composite, rounded, and inside that widened range.
void expect_reason(const std::string& ours, const std::string& golden, std::optional<double> composite,
                   const json& range, const std::string& what) {
  const auto eq = golden.find('=');
  if (golden.rfind("composite_score=", 0) != 0) {
    EXPECT_EQ(ours, golden) << what;
    return;
  }
  const auto space = golden.find(' ');
  ASSERT_GE(ours.size(), space) << what << ": " << ours;
  EXPECT_EQ(ours.substr(space), golden.substr(space)) << what;
  EXPECT_EQ(ours.substr(0, eq + 1), golden.substr(0, eq + 1)) << what;
  ASSERT_TRUE(composite.has_value());
  EXPECT_EQ(ours.substr(eq + 1, space - eq - 1), fmt::format("{:.3f}", *composite)) << what;
  const double value = std::stod(ours.substr(eq + 1, space - eq - 1));
  const double lo = range.is_null() ? 0.0 : range[0].get<double>(), hi = range.is_null() ? 0.0 : range[1].get<double>();
  EXPECT_GE(value, lo - 0.0035) << what;
  EXPECT_LE(value, hi + 0.0035) << what;
}

void check_model(const std::string& model) {
  const json golden = load_golden(model + "_metrics.json");
  const Manifest& cli = analyzed_model(model, ThresholdSet::cli);
  const Manifest& config = analyzed_model(model, ThresholdSet::config);
  EXPECT_EQ(cli.total_layers, golden["total_layers"].get<std::int64_t>());
  EXPECT_EQ(cli.total_tensors, static_cast<std::int64_t>(golden["tensors"].size()));
  for (const auto& [name, g] : golden["tensors"].items()) {
    SCOPED_TRACE(model + " / " + name);
    const ManifestTensor* t = cli.find(name);
    const ManifestTensor* tc = config.find(name);
    ASSERT_NE(t, nullptr);
    ASSERT_NE(tc, nullptr);
    EXPECT_EQ(t->shape, g["shape"].get<std::vector<std::int64_t>>());
    EXPECT_EQ(t->dtype, g["dtype"].get<std::string>());
    EXPECT_EQ(t->num_params, g["num_params"].get<std::int64_t>());
    EXPECT_EQ(class_name(t->classification), g["manifest_classification"].get<std::string>());
    EXPECT_EQ(t->decision.bits, g["decision"]["cli"]["bits"].get<int>());
    EXPECT_EQ(tc->decision.bits, g["decision"]["config"]["bits"].get<int>());
    const json range = g.contains("composite_range_over_sweep") ? g["composite_range_over_sweep"] : json(nullptr);
    expect_reason(t->decision.reason, g["decision"]["cli"]["reason"], t->composite_score, range, "cli reason");
    expect_reason(tc->decision.reason, g["decision"]["config"]["reason"], tc->composite_score, range, "config reason");

    const std::string path = g["path"];
    if (path == "1d_tensor" || path == "skipped_tiny") {
      ASSERT_TRUE(t->scores.has_value());
      EXPECT_EQ(t->scores->cross_layer_key, path == "skipped_tiny");
      EXPECT_EQ(*t->scores, (Scores{0, 0, 0, 0, path == "skipped_tiny"}));
      EXPECT_EQ(t->composite_score, 0.0);
      EXPECT_FALSE(t->raw.has_value());
      continue;
    }
    ASSERT_EQ(path, "analyzed");
    ASSERT_TRUE(t->raw.has_value());
    ASSERT_TRUE(t->scores.has_value());
    const RawMetrics& raw = *t->raw;
    const Scores& s = *t->scores;
    EXPECT_EQ(raw.analysis_shape, g["analysis_shape"].get<std::vector<std::int64_t>>());
    if (g.contains("expert_slices")) EXPECT_EQ(raw.expert_slices, g["expert_slices"].get<std::vector<std::int64_t>>());

    const json& k = g["kurtosis"];
    const double k_tolerance = k["excess_kurtosis_f64"].is_null() ? 0 : 1e-4 * std::max(1.0, std::abs(k["excess_kurtosis_f64"].get<double>()));
    expect_near_optional(raw.excess_kurtosis, k["excess_kurtosis_f64"], k_tolerance, "excess kurtosis");
    EXPECT_NEAR(s.kurtosis, k["score"].get<double>(), 1e-5);

    const json& e = g["error_proxy"];
    const double e_tolerance = e["nrmse_f64"].is_null() ? 0 : 1e-5 * e["nrmse_f64"].get<double>();
    expect_near_optional(raw.nrmse, e["nrmse_f64"], e_tolerance, "nrmse");
    EXPECT_NEAR(s.error_proxy, e["score"].get<double>(), 1e-4);

    const json& v = g["svd"];
    if (v["method"] == "full") {
      EXPECT_EQ(raw.svd_method, "exact");
      EXPECT_EQ(raw.top_k, v["top_k_full"].get<std::int64_t>());
      expect_near_optional(raw.concentration, v["concentration_full_f64"], 1e-5, "exact concentration");
      EXPECT_NEAR(s.svd, v["score"].get<double>(), 2e-5);
    } else {
      // The reference's sketch (one seed of ours) inside the reference's own 20-seed range,
      // widened by 3 standard deviations; the exact ratio beside it as exact as float32 gives.
      EXPECT_TRUE(raw.svd_method == "sketch" || raw.svd_method == "sketch_matrix" || raw.svd_method == "sketch_gram")
          << raw.svd_method;
      EXPECT_EQ(raw.singular_values, v["k_returned"].get<std::int64_t>());
      EXPECT_EQ(raw.top_k, v["top_k_of_returned"].get<std::int64_t>());
      if (raw.svd_method == "sketch")
        expect_near_optional(raw.exact_concentration, v["concentration_exact_topk_of_k_f64"], 1e-5, "exact concentration");
      const json& sweep = v["score_seed_sweep"];
      EXPECT_GE(s.svd, sweep["min"].get<double>() - 3 * sweep["std"].get<double>());
      EXPECT_LE(s.svd, sweep["max"].get<double>() + 3 * sweep["std"].get<double>());
    }

    const json& o = g["output_sensitivity"];
    const json& sweep = o["sweep"];
    EXPECT_NEAR(raw.weight_range, o["weight_range"].get<double>(), 1e-6 * o["weight_range"].get<double>());
    EXPECT_GE(raw.delta, 0.8 * sweep["delta_min"].get<double>());
    EXPECT_LE(raw.delta, 1.2 * sweep["delta_max"].get<double>());
    EXPECT_NEAR(raw.delta, o["delta_analytic_expectation"].get<double>(), 1e-5 * (1 + raw.delta));
    EXPECT_GE(s.output_sensitivity, sweep["score_min"].get<double>() - 0.01);
    EXPECT_LE(s.output_sensitivity, sweep["score_max"].get<double>() + 0.01);

    ASSERT_TRUE(t->composite_score.has_value());
    EXPECT_GE(*t->composite_score, g["composite_range_over_sweep"][0].get<double>() - 0.003);
    EXPECT_LE(*t->composite_score, g["composite_range_over_sweep"][1].get<double>() + 0.003);
  }
}

TEST(GoldenMetrics, Stories260k) { check_model("stories260k"); }
TEST(GoldenMetrics, Stories260kBf16) { check_model("stories260k-bf16"); }
TEST(GoldenMetrics, EdgeCases) { check_model("swan-edge-cases"); }

// The reference's own manifests: same tensors, order, shapes, classes, bits and summary.
void check_manifest(const std::string& model, const std::string& file, ThresholdSet thresholds) {
  SCOPED_TRACE(file);
  const Manifest golden = read_manifest(swan::test::shared_path("golden/swan-reference/" + file));
  const Manifest& ours = analyzed_model(model, thresholds);
  EXPECT_EQ(ours.model, golden.model);
  EXPECT_TRUE(ours.config == golden.config);
  EXPECT_EQ(ours.total_layers, golden.total_layers);
  EXPECT_EQ(ours.total_tensors, golden.total_tensors);
  ASSERT_EQ(ours.shards.size(), golden.shards.size());
  for (std::size_t i = 0; i < ours.shards.size(); ++i) {
    EXPECT_EQ(ours.shards[i].file, golden.shards[i].file);
    ASSERT_EQ(ours.shards[i].tensors.size(), golden.shards[i].tensors.size());
    for (std::size_t j = 0; j < ours.shards[i].tensors.size(); ++j) {
      const ManifestTensor& a = ours.shards[i].tensors[j];
      const ManifestTensor& b = golden.shards[i].tensors[j];
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(a.shape, b.shape);
      EXPECT_EQ(a.dtype, b.dtype);
      EXPECT_EQ(a.num_params, b.num_params);
      EXPECT_EQ(a.classification, b.classification) << a.name;
      EXPECT_EQ(a.decision.bits, b.decision.bits) << a.name;
      ASSERT_TRUE(a.scores.has_value());
      EXPECT_EQ(a.scores->cross_layer_key, b.scores->cross_layer_key) << a.name;
    }
  }
  EXPECT_EQ(ours.summary.total_params, golden.summary.total_params);
  EXPECT_EQ(ours.summary.tensor_count, golden.summary.tensor_count);
  EXPECT_EQ(ours.summary.bits_distribution, golden.summary.bits_distribution);
  EXPECT_DOUBLE_EQ(ours.summary.estimated_size_gb, golden.summary.estimated_size_gb);
  EXPECT_DOUBLE_EQ(ours.summary.average_bits, golden.summary.average_bits);
}

TEST(GoldenManifest, Stories260kCliThresholds) {
  check_manifest("stories260k", "stories260k_manifest_seed0.json", ThresholdSet::cli);
  check_manifest("stories260k", "stories260k_manifest.json", ThresholdSet::cli);
}
TEST(GoldenManifest, Stories260kConfigThresholds) {
  check_manifest("stories260k", "stories260k_manifest_config-thresholds_seed0.json", ThresholdSet::config);
}
TEST(GoldenManifest, Stories260kBf16) {
  check_manifest("stories260k-bf16", "stories260k-bf16_manifest_seed0.json", ThresholdSet::cli);
}
TEST(GoldenManifest, EdgeCases) {
  check_manifest("swan-edge-cases", "swan-edge-cases_manifest_seed0.json", ThresholdSet::cli);
}

}  // namespace
}  // namespace swan::analysis

namespace swan::analysis {
namespace {

// --noise-metric sampled against the reference's 200-seed sweep (README tolerances):
// every draw inside [0.8 min, 1.2 max], the mean of >= 20 seeds within 5 % of the sweep
// mean. Seeds are added until 5 % is three standard errors of that mean: the rank-1 tensor's
// delta spreads 12 % per draw, so 20 seeds would fail by chance one time in ~20.
void check_sampled_noise(const std::string& model) {
  const nlohmann::json golden = test::load_golden(model + "_metrics.json");
  const ModelDirectory directory(swan::test::shared_path("models/" + model));
  for (const auto& [name, g] : golden["tensors"].items()) {
    if (g["path"] != "analyzed") continue;
    SCOPED_TRACE(model + " / " + name);
    const ModelTensor* tensor = directory.find(name);
    ASSERT_NE(tensor, nullptr);
    const AnalysisLayout layout = analysis_layout(tensor->info->shape);
    const std::vector<float> values = read_analysis_matrix(directory, *tensor, layout);
    const MatrixView t{values.data(), layout.rows, layout.cols};
    const nlohmann::json& sweep = g["output_sensitivity"]["sweep"];
    double mean = 0;
    const double spread = sweep["delta_std"].get<double>() / std::max(1e-12, sweep["delta_mean"].get<double>());
    const int seeds = std::max(20, static_cast<int>(std::ceil(std::pow(3.0 * spread / 0.05, 2))));
    for (int seed = 0; seed < seeds; ++seed) {
      Random rng = Random::for_tensor(static_cast<std::uint64_t>(seed), name, "noise");
      const double delta = output_noise_sampled(t, rng).delta;
      EXPECT_GE(delta, 0.8 * sweep["delta_min"].get<double>());
      EXPECT_LE(delta, 1.2 * sweep["delta_max"].get<double>());
      const double score = output_sensitivity_score(delta);
      EXPECT_GE(score, sweep["score_min"].get<double>() - 0.01);
      EXPECT_LE(score, sweep["score_max"].get<double>() + 0.01);
      mean += delta / seeds;
    }
    EXPECT_NEAR(mean, sweep["delta_mean"].get<double>(), 0.05 * sweep["delta_mean"].get<double>());
  }
}

TEST(GoldenSampledNoise, Stories260k) { check_sampled_noise("stories260k"); }
TEST(GoldenSampledNoise, EdgeCases) { check_sampled_noise("swan-edge-cases"); }

// --svd sketch against torch.svd_lowrank itself: on the golden's 600x640 tensor the mean
// score over 40 of our seeds equals the mean of the reference's 20 seeds within four
// standard errors of the difference, although both sit well above the exact ratio's score
// (the bias this estimator exists to reproduce; the test asserts it is resolved).
TEST(GoldenSketch, MeanOverSeedsIsTheReferences) {
  openblas_set_num_threads(1);  // as the analysis runs BLAS (threaded BLAS crawls on a loaded machine)
  const nlohmann::json golden = test::load_golden("swan-edge-cases_metrics.json");
  const ModelDirectory directory(swan::test::shared_path("models/swan-edge-cases"));
  int checked = 0;
  for (const auto& [name, g] : golden["tensors"].items()) {
    if (g["path"] != "analyzed" || g["svd"]["method"] != "randomized_svd_lowrank") continue;
    SCOPED_TRACE(name);
    const ModelTensor* tensor = directory.find(name);
    ASSERT_NE(tensor, nullptr);
    const AnalysisLayout layout = analysis_layout(tensor->info->shape);
    const std::vector<float> values = read_analysis_matrix(directory, *tensor, layout);
    const MatrixView t{values.data(), layout.rows, layout.cols};
    constexpr int kSeeds = 40;
    double sum = 0, sum2 = 0;
    for (int seed = 0; seed < kSeeds; ++seed) {
      Random rng = Random::for_tensor(static_cast<std::uint64_t>(seed), name, "svd");
      const double score = svd_score(spectral_concentration(t, rng).concentration);
      sum += score;
      sum2 += score * score;
    }
    const double mean = sum / kSeeds, variance = std::max(0.0, sum2 / kSeeds - mean * mean);
    const nlohmann::json& sweep = g["svd"]["score_seed_sweep"];
    const double reference = sweep["mean"].get<double>(), reference_sd = sweep["std"].get<double>();
    const double standard_error =
        std::sqrt(variance / kSeeds + reference_sd * reference_sd / sweep["n"].get<double>());
    EXPECT_NEAR(mean, reference, 4 * standard_error);
    const double exact = g["svd"]["score_exact_topk_of_k_f64"].get<double>();
    EXPECT_GT(reference - exact, 20 * standard_error) << "the golden's bias is not resolved by this test";
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

}  // namespace
}  // namespace swan::analysis
