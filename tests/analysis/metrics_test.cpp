// Hand-worked cases for each SWAN metric, score normalisation and the bit decision.
#include <cblas.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "swan/analysis/analysis_matrix.h"
#include "swan/analysis/bit_decision.h"
#include "swan/analysis/classification.h"
#include "swan/analysis/error_proxy.h"
#include "swan/analysis/kurtosis.h"
#include "swan/analysis/output_noise.h"
#include "swan/analysis/random.h"
#include "swan/analysis/scores.h"
#include "swan/analysis/spectral_concentration.h"
#include "swan/analysis/tensor_analysis.h"
#include "swan/core/error.h"

namespace swan::analysis {
namespace {

MatrixView view(const std::vector<float>& v, std::int64_t rows, std::int64_t cols) { return {v.data(), rows, cols}; }

TEST(AnalysisMatrix, OneDimensionalShapes) {
  EXPECT_TRUE(is_1d_tensor(std::vector<std::int64_t>{}));
  EXPECT_TRUE(is_1d_tensor(std::vector<std::int64_t>{64}));
  EXPECT_TRUE(is_1d_tensor(std::vector<std::int64_t>{1, 64}));
  EXPECT_TRUE(is_1d_tensor(std::vector<std::int64_t>{96, 1}));
  EXPECT_FALSE(is_1d_tensor(std::vector<std::int64_t>{2, 64}));
  EXPECT_FALSE(is_1d_tensor(std::vector<std::int64_t>{1, 1, 64}));  // only 2-D unit dims count
}

TEST(AnalysisMatrix, ExpertSamplingTruncatesLinspace) {
  // torch.linspace(0, E-1, 4).long(), worked by hand.
  EXPECT_EQ(sampled_expert_indices(5), (std::vector<std::int64_t>{0, 1, 2, 4}));
  EXPECT_EQ(sampled_expert_indices(8), (std::vector<std::int64_t>{0, 2, 4, 7}));
  EXPECT_EQ(sampled_expert_indices(128), (std::vector<std::int64_t>{0, 42, 84, 127}));
  const AnalysisLayout few = analysis_layout(std::vector<std::int64_t>{3, 64, 96});
  EXPECT_EQ(few.rows, 192);
  EXPECT_EQ(few.expert_slices, (std::vector<std::int64_t>{0, 1, 2}));
  const AnalysisLayout conv = analysis_layout(std::vector<std::int64_t>{16, 4, 4, 4});
  EXPECT_EQ(conv.rows, 16);
  EXPECT_EQ(conv.cols, 64);
}

TEST(AnalysisMatrix, GathersSampledExperts) {
  const std::vector<std::int64_t> shape{8, 1, 2};  // expert e holds {e, 10+e}
  std::vector<float> tensor;
  for (int e = 0; e < 8; ++e) tensor.insert(tensor.end(), {float(e), float(10 + e)});
  const auto t = gather_analysis_matrix(tensor, shape, analysis_layout(shape));
  EXPECT_EQ(t, (std::vector<float>{0, 10, 2, 12, 4, 14, 7, 17}));
}

TEST(Kurtosis, TwoPointDistributionIsMinusTwo) {
  std::vector<float> v;
  for (int i = 0; i < 64; ++i) v.push_back(i % 2 ? 3.0f : -1.0f);  // mean 1, |d| = 2
  const auto k = excess_kurtosis(view(v, 8, 8));
  ASSERT_TRUE(k.excess_kurtosis.has_value());
  EXPECT_NEAR(*k.excess_kurtosis, -2.0, 1e-12);
  EXPECT_NEAR(k.variance, 4.0, 1e-12);
}

TEST(Kurtosis, SparseSpikeIsHeavyTailed) {
  // One value 1 among n zeros: m4/m2^2 - 3 = (n - 3 + 3/n)... worked: p = 1/n,
  // mean p, m2 = p(1-p), m4 = p(1-p)(1 - 3p + 3p^2); K = (1 - 3p + 3p^2)/(p(1-p)) - 3.
  const int n = 100;
  std::vector<float> v(n, 0.0f);
  v[17] = 1.0f;
  const double p = 1.0 / n;
  const double expected = (1 - 3 * p + 3 * p * p) / (p * (1 - p)) - 3;
  EXPECT_NEAR(*excess_kurtosis(view(v, 10, 10)).excess_kurtosis, expected, 1e-9);
}

TEST(Kurtosis, ConstantHasNoKurtosis) {
  std::vector<float> v(64, 0.5f);
  EXPECT_FALSE(excess_kurtosis(view(v, 8, 8)).excess_kurtosis.has_value());
}

TEST(ErrorProxy, TiesRoundToEvenAndPaddingCounts) {
  // One row of 64: {0, 15, 2.5 x 62}, padded with 64 zeros to one group of 128.
  // lo = 0, hi = 15 -> scale 1; 2.5 rounds to 2 (half to even) -> error 0.5 each;
  // zeros and 0/15 are exact. nrmse = sqrt(62 * 0.25 / (225 + 62 * 6.25)).
  std::vector<float> row(64, 2.5f);
  row[0] = 0.0f;
  row[1] = 15.0f;
  const auto e = quantization_error_proxy(view(row, 1, 64));
  EXPECT_EQ(e.pad_cols, 64);
  ASSERT_TRUE(e.nrmse.has_value());
  EXPECT_NEAR(*e.nrmse, std::sqrt(15.5 / 612.5), 1e-7);
  EXPECT_NEAR(e.rms, std::sqrt(612.5 / 128.0), 1e-7);
  // 3.5 rounds up to 4 (even): same error magnitude.
  std::fill(row.begin() + 2, row.end(), 3.5f);
  EXPECT_NEAR(*quantization_error_proxy(view(row, 1, 64)).nrmse, std::sqrt(15.5 / (225 + 62 * 12.25)), 1e-7);
}

TEST(ErrorProxy, PaddedZerosWidenTheGroupRange) {
  // All values 1.0 in 64 columns: the padding makes lo = 0, hi = 1; both are on the grid.
  std::vector<float> row(64, 1.0f);
  EXPECT_NEAR(*quantization_error_proxy(view(row, 1, 64)).nrmse, 0.0, 1e-7);
  // 63 x 15.0 and one 7.25: with the zeros lo = 0, hi = 15, scale 1, 7.25 -> 7 (error 0.25).
  // Without padding lo would be 7.25 and the error 0.
  std::fill(row.begin(), row.end(), 15.0f);
  row[5] = 7.25f;
  EXPECT_NEAR(*quantization_error_proxy(view(row, 1, 64)).nrmse, std::sqrt(0.0625 / (63 * 225.0 + 7.25 * 7.25)), 1e-9);
}

TEST(ErrorProxy, ZeroMatrixIsUndefined) {
  std::vector<float> v(64 * 64, 0.0f);
  EXPECT_FALSE(quantization_error_proxy(view(v, 64, 64)).nrmse.has_value());
}

TEST(SpectralConcentration, RankOneIsFullyConcentrated) {
  std::vector<float> v;
  for (int r = 0; r < 40; ++r)
    for (int c = 0; c < 30; ++c) v.push_back(float((r % 7) - 3) * float(c + 1) * 0.01f);
  Random rng(1);
  const auto c = spectral_concentration(view(v, 40, 30), rng);
  EXPECT_FALSE(c.leading);
  EXPECT_EQ(c.top_k, 3);
  EXPECT_NEAR(*c.concentration, 1.0, 1e-9);
}

TEST(SpectralConcentration, DiagonalSpectrumByHand) {
  // diag(1..20) as a 20x25 matrix: sigma = 20..1, top 2 of 20 values.
  std::vector<float> v(20 * 25, 0.0f);
  for (int i = 0; i < 20; ++i) v[i * 25 + i] = float(i + 1);
  Random rng(1);
  const auto c = spectral_concentration(view(v, 20, 25), rng);
  double all = 0;
  for (int i = 1; i <= 20; ++i) all += i * i;
  EXPECT_NEAR(*c.concentration, (400.0 + 361.0) / all, 1e-12);
  EXPECT_NEAR(svd_score(c.concentration), ((400.0 + 361.0) / all - 0.1) / 0.8, 1e-12);
}

TEST(SpectralConcentration, ZeroMatrixHasNoEnergy) {
  std::vector<float> v(64 * 64, 0.0f);
  Random rng(1);
  EXPECT_FALSE(spectral_concentration(view(v, 64, 64), rng).concentration.has_value());
}

// The leading path (n > 512) on a decaying and on a flat (Marchenko-Pastur) spectrum:
// `--svd exact` equals the float64 top-25-of-256 ratio (float32 Gram); the sketch records the
// same exact value beside its estimate, which reads higher (the reference's bias, sized
// against the reference itself in golden_metrics_test and range_finder_test).
void check_leading(double decay) {
  openblas_set_num_threads(1);  // as the analysis runs BLAS
  const int rows = 600, cols = 700;
  Random fill(42);
  std::vector<float> v(rows * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) v[r * cols + c] = float(fill.normal() * (1.0 + decay / (1.0 + r)));
  const MatrixView t = view(v, rows, cols);
  std::vector<double> exact = squared_singular_values(t);
  exact.resize(256);
  const double reference = *top_decile_energy(exact);
  SvdOptions options;
  options.estimator = SvdEstimator::exact;
  Random rng(7);
  const auto e = spectral_concentration(t, rng, options);
  EXPECT_TRUE(e.leading);
  EXPECT_FALSE(e.sketched);
  EXPECT_EQ(e.values, 256);
  EXPECT_EQ(e.top_k, 25);
  EXPECT_NEAR(*e.concentration, reference, 1e-5) << "decay " << decay;
  EXPECT_EQ(e.exact_concentration, e.concentration);

  for (const SketchRoute route : {SketchRoute::spectrum, SketchRoute::matrix, SketchRoute::gram}) {
    SvdOptions sketch;  // the default estimator: the reference's sketch
    sketch.route = route;
    const auto s = spectral_concentration(t, rng, sketch);
    EXPECT_TRUE(s.sketched);
    EXPECT_EQ(s.sketch_route, route);
    EXPECT_EQ(s.values, 256);
    EXPECT_EQ(s.top_k, 25);
    if (route == SketchRoute::spectrum) EXPECT_NEAR(*s.exact_concentration, reference, 1e-5);
    else EXPECT_FALSE(s.exact_concentration.has_value());
    EXPECT_GT(*s.concentration, reference + 0.001) << "decay " << decay;
    EXPECT_LT(*s.concentration, reference + 0.05) << "decay " << decay;
  }
}

TEST(SpectralConcentration, LeadingPathExactAndSketch) {
  check_leading(0.0);
  check_leading(30.0);
}

TEST(SpectralConcentration, SketchOfRankDeficientMatricesFallsBackToHouseholder) {
  // Rank 1 and 0 with both sides > 512: the sketch's Cholesky QR fails on a singular basis
  // and Householder QR takes over; the ratio stays exact (1) or undefined.
  openblas_set_num_threads(1);
  const int rows = 600, cols = 700;
  std::vector<float> rank_one(rows * cols), zero(rows * cols, 0.0f);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) rank_one[r * cols + c] = float((r % 5) - 2) * float(1 + c % 3);
  for (const SketchRoute route : {SketchRoute::spectrum, SketchRoute::matrix, SketchRoute::gram}) {
    SvdOptions options;
    options.route = route;
    Random rng(3);
    EXPECT_NEAR(*spectral_concentration(view(rank_one, rows, cols), rng, options).concentration, 1.0, 1e-6);
    EXPECT_FALSE(spectral_concentration(view(zero, rows, cols), rng, options).concentration.has_value());
  }
}

TEST(SpectralConcentration, CostModelPicksTheFasterRoute) {
  // Elongated matrices and a wide embedding are sketched fastest through their Gram matrix;
  // square ones, whose Gram matrix costs as much as the products, on themselves (measured by
  // bench/analyze_bench --sketch). The exact spectrum is never the cheapest way.
  EXPECT_EQ(cheapest_sketch_route(896, 896), SketchRoute::matrix);
  EXPECT_EQ(cheapest_sketch_route(1536, 1536), SketchRoute::matrix);
  EXPECT_EQ(cheapest_sketch_route(4864, 896), SketchRoute::gram);
  EXPECT_EQ(cheapest_sketch_route(896, 4864), SketchRoute::gram);
  EXPECT_EQ(cheapest_sketch_route(151936, 896), SketchRoute::gram);
  EXPECT_EQ(cheapest_sketch_route(8192, 8192), SketchRoute::matrix);
}

TEST(SpectralConcentration, EstimatorNames) {
  EXPECT_EQ(parse_svd_estimator("sketch"), SvdEstimator::sketch);
  EXPECT_EQ(parse_svd_estimator("exact"), SvdEstimator::exact);
  EXPECT_EQ(svd_estimator_name(SvdEstimator::exact), "exact");
  EXPECT_THROW(parse_svd_estimator("lowrank"), swan::Error);
}

TEST(OutputNoise, AnalyticDeltaIsRangeOverRms) {
  std::vector<float> v;
  for (int i = 0; i < 64; ++i) v.push_back(i % 2 ? 1.0f : -1.0f);
  const auto o = output_noise_analytic(view(v, 8, 8));
  EXPECT_DOUBLE_EQ(o.range, 2.0);
  EXPECT_DOUBLE_EQ(o.rms, 1.0);
  EXPECT_NEAR(o.delta, 2.0 / (16.0 * std::sqrt(12.0)), 1e-15);
}

TEST(OutputNoise, SampledAgreesWithAnalyticOnAverage) {
  Random fill(3);
  std::vector<float> v(256 * 96);
  for (float& x : v) x = float(fill.normal());
  const MatrixView t = view(v, 256, 96);
  double mean = 0;
  for (int seed = 0; seed < 20; ++seed) {
    Random rng(seed);
    mean += output_noise_sampled(t, rng).delta / 20;
  }
  EXPECT_NEAR(mean / output_noise_analytic(t).delta, 1.0, 0.05);
}

TEST(Scores, NormalisationsAtTheirEdges) {
  EXPECT_EQ(output_sensitivity_score(0.0), 0.0);
  EXPECT_EQ(output_sensitivity_score(5e-7), 0.0);
  EXPECT_EQ(output_sensitivity_score(0.001), 0.0);  // log10(max(d, 0.01)) = -2
  EXPECT_NEAR(output_sensitivity_score(0.1), 1.0 / 3.0, 1e-15);
  EXPECT_EQ(output_sensitivity_score(50.0), 1.0);
  EXPECT_EQ(kurtosis_score(-2.0), 0.0);
  EXPECT_NEAR(kurtosis_score(3.0), 0.3, 1e-15);
  EXPECT_EQ(kurtosis_score(std::nullopt), 0.0);
  EXPECT_NEAR(error_proxy_score(0.0275), 0.5, 1e-15);
  EXPECT_EQ(error_proxy_score(0.107), 1.0);
  EXPECT_NEAR(svd_score(0.5), 0.5, 1e-15);
  EXPECT_NEAR(composite_score(Scores{1, 1, 1, 1}), 1.0, 1e-15);
  EXPECT_NEAR(composite_score(Scores{0, 1, 0, 0}), 0.45, 1e-15);
}

TEST(Classification, SubstringCaseInsensitive) {
  EXPECT_EQ(classify_tensor("model.embed_tokens.weight"), TensorClass::protected_tensor);
  EXPECT_EQ(classify_tensor("Model.Embed_Tokens.Weight"), TensorClass::protected_tensor);
  EXPECT_EQ(classify_tensor("model.layers.0.self_attn.q_norm.weight"), TensorClass::protected_tensor);
  EXPECT_EQ(classify_tensor("model.layers.3.mlp.router.weight"), TensorClass::protected_tensor);
  EXPECT_EQ(classify_tensor("model.layers.3.mlp.gate.weight"), TensorClass::default_tensor);  // Qwen-MoE router
  EXPECT_EQ(classify_tensor("model.layers.0.mlp.down_proj.weight"), TensorClass::default_tensor);
}

TEST(BitDecision, OrderAndInclusiveThresholds) {
  const Thresholds cli = Thresholds::of(ThresholdSet::cli);
  const Thresholds config = Thresholds::of(ThresholdSet::config);
  EXPECT_EQ(recommend_bits(0.99, TensorClass::protected_tensor, cli), (BitDecision{16, "protected_pattern", {}}));
  EXPECT_EQ(recommend_bits(0.85, TensorClass::default_tensor, cli),
            (BitDecision{16, "composite_score=0.850 >= 16bit_threshold", {}}));
  EXPECT_EQ(recommend_bits(0.95, TensorClass::sensitive, cli).bits, 16);  // 16-bit threshold beats sensitive
  EXPECT_EQ(recommend_bits(0.3, TensorClass::sensitive, cli), (BitDecision{8, "sensitive_pattern", {}}));
  EXPECT_EQ(recommend_bits(0.45, TensorClass::default_tensor, cli),
            (BitDecision{8, "composite_score=0.450 >= 8bit_threshold", {}}));
  EXPECT_EQ(recommend_bits(0.45, TensorClass::default_tensor, config), (BitDecision{4, "default", {}}));
  EXPECT_EQ(recommend_bits(0.1, TensorClass::default_tensor, cli),
            (BitDecision{2, "composite_score=0.100 <= 2bit_threshold", {}}));
  EXPECT_EQ(recommend_bits(0.4605957751513170, TensorClass::default_tensor, cli).reason,
            "composite_score=0.461 >= 8bit_threshold");
}

// Whole-tensor procedure on hand-built matrices (spec quirk 10).
ManifestTensor analyze_values(const std::string& name, std::vector<std::int64_t> shape, std::vector<float> values,
                              AnalysisOptions options = {}) {
  return analyze_tensor(name, shape, DType::F32, [&](const AnalysisLayout&) -> std::span<const float> { return values; }, options);
}

TEST(TensorAnalysis, ConstantMatrix) {
  const auto t = analyze_values("model.layers.2.mlp.const_proj.weight", {64, 128}, std::vector<float>(64 * 128, 0.5f));
  EXPECT_EQ(*t.scores, (Scores{1.0, 0.0, 0.0, 0.0}));  // rank 1; no variance, range or error
  EXPECT_NEAR(*t.composite_score, 0.2, 1e-15);
  EXPECT_EQ(t.decision, (BitDecision{4, "default", {}}));
}

TEST(TensorAnalysis, AllZeroMatrixGoesToTwoBits) {
  const auto t = analyze_values("model.layers.2.mlp.zero_proj.weight", {64, 64}, std::vector<float>(64 * 64, 0.0f));
  EXPECT_EQ(*t.scores, (Scores{0.0, 0.0, 0.0, 0.0}));
  EXPECT_EQ(t.decision, (BitDecision{2, "composite_score=0.000 <= 2bit_threshold", {}}));
}

TEST(TensorAnalysis, OneDimensionalAndTinyPaths) {
  bool read = false;
  const MatrixReader reader = [&](const AnalysisLayout&) {
    read = true;
    return std::vector<float>{};
  };
  const auto bias = analyze_tensor("model.layers.1.o_proj.bias", std::vector<std::int64_t>{96, 1}, DType::F32, reader, {});
  EXPECT_EQ(bias.classification, TensorClass::protected_tensor);
  EXPECT_EQ(bias.decision, (BitDecision{16, "1d_tensor", {}}));
  const auto tiny = analyze_tensor("model.layers.1.k_proj.weight", std::vector<std::int64_t>{31, 33}, DType::F32, reader, {});
  EXPECT_TRUE(tiny.scores->cross_layer_key);
  EXPECT_EQ(tiny.decision.bits, 2);
  const auto router = analyze_tensor("model.layers.3.mlp.router.weight", std::vector<std::int64_t>{8, 64}, DType::BF16, reader, {});
  EXPECT_EQ(router.decision, (BitDecision{16, "protected_pattern", {}}));
  // Protected matrices are not read unless asked to be scored.
  const auto embed = analyze_tensor("model.embed_tokens.weight", std::vector<std::int64_t>{512, 64}, DType::F32, reader, {});
  EXPECT_EQ(embed.decision, (BitDecision{16, "protected_pattern", {}}));
  EXPECT_FALSE(embed.scores.has_value());
  EXPECT_FALSE(read);
}

}  // namespace
}  // namespace swan::analysis

// Counts in 0.1-wide bins out to |x| = 4.5 (and the two outer tails) within 5 standard
// errors of Phi's.
void expect_standard_normal_bins(const std::vector<double>& w, const char* variant) {
  constexpr double kWidth = 0.1, kEdge = 4.5;
  std::vector<double> counts(static_cast<std::size_t>(2 * kEdge / kWidth) + 2, 0.0);  // + two outer tails
  for (const double x : w) {
    const double bin = std::floor((x + kEdge) / kWidth);
    const std::size_t index = x < -kEdge ? 0 : x >= kEdge ? counts.size() - 1 : static_cast<std::size_t>(bin) + 1;
    counts[index] += 1;
  }
  const auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  const double total = static_cast<double>(w.size());
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double lo = i == 0 ? -INFINITY : -kEdge + kWidth * static_cast<double>(i - 1);
    const double hi = i + 1 == counts.size() ? INFINITY : -kEdge + kWidth * static_cast<double>(i);
    const double expected = total * (phi(hi) - phi(lo));
    EXPECT_LE(std::abs(counts[i] - expected), 5.0 * std::sqrt(expected) + 1.0)
        << variant << " bin [" << lo << ", " << hi << ")";
  }
}

// fill_normal's polar method against the standard normal's moments and tail mass (10^6
// draws: standard errors ~0.001 on the mean, ~0.0014 on the variance, ~0.01 on the
// fourth moment, 0.0002 on the tail mass), an odd length filled to the end, determinism;
// and against Phi in 0.1-wide bins out to |x| = 4.5.
TEST(Random, FillNormalIsStandardNormal) {
  std::vector<double> v(1'000'001, std::nan(""));
  swan::analysis::Random(42).fill_normal(v);
  double sum = 0, squares = 0, fourth = 0;
  std::size_t beyond_two = 0;
  for (const double x : v) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    squares += x * x;
    fourth += x * x * x * x;
    beyond_two += std::abs(x) > 2.0;
  }
  const double n = static_cast<double>(v.size());
  EXPECT_NEAR(sum / n, 0.0, 0.005);
  EXPECT_NEAR(squares / n, 1.0, 0.007);
  EXPECT_NEAR(fourth / n, 3.0, 0.03);
  EXPECT_NEAR(static_cast<double>(beyond_two) / n, 0.0455, 0.0015);  // 2 (1 - Phi(2))
  std::vector<double> again(v.size());
  swan::analysis::Random(42).fill_normal(again);
  EXPECT_EQ(v, again);
  // The float32 variant, the same checks at its own (float) accuracy.
  std::vector<float> single(1'000'001, std::nanf(""));
  swan::analysis::Random(42).fill_normal(std::span<float>(single));
  double single_sum = 0, single_squares = 0, single_fourth = 0;
  for (const float x : single) {
    ASSERT_TRUE(std::isfinite(x));
    single_sum += x;
    single_squares += double(x) * x;
    single_fourth += double(x) * x * x * x;
  }
  EXPECT_NEAR(single_sum / n, 0.0, 0.005);
  EXPECT_NEAR(single_squares / n, 1.0, 0.007);
  EXPECT_NEAR(single_fourth / n, 3.0, 0.03);

  std::vector<double> w(4'000'000);
  swan::analysis::Random(7).fill_normal(w);
  std::vector<float> wf(4'000'000);
  swan::analysis::Random(7).fill_normal(std::span<float>(wf));
  expect_standard_normal_bins(w, "float64");
  expect_standard_normal_bins(std::vector<double>(wf.begin(), wf.end()), "float32");
}

