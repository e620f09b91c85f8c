// Error curves: each point equals the error of quantizing and dequantizing the matrix with
// the writer's own kernels; row sampling stays within 2 % of the full-matrix error on every
// matrix of the real test models; more bits never cost more error; the analysis records a
// curve for every quantizable matrix, embeddings and lm_head included, for any thread count.
#include "swan/analysis/error_curve.h"

#include <gtest/gtest.h>

#include <random>

#include "support/fixtures.h"
#include "swan/analysis/analyzer.h"
#include "swan/core/float_formats.h"
#include "swan/io/model_directory.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_optimized.h"

namespace swan::analysis {
namespace {

// ||W - dequantize(quantize(W))||² / ||W||² through the writer's kernels.
double written_relative_error(const std::vector<float>& w, std::size_t rows, std::size_t cols, int bits, int group,
                              DType dtype) {
  const quant::AffineFormat format{bits, group};
  std::vector<std::uint32_t> packed(rows * quant::packed_words_per_row(cols, bits));
  std::vector<float> scales(rows * quant::groups_per_row(cols, group)), biases(scales.size()), out(w.size());
  quant::quantize_affine(w, rows, cols, format, dtype, packed, scales, biases);
  quant::dequantize_affine(packed, scales, biases, rows, cols, format, out);
  double sse = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(w[i]) - out[i];
    sse += d * d;
    norm += static_cast<double>(w[i]) * w[i];
  }
  return sse / norm;
}

TEST(ErrorCurve, PointsEqualTheWrittenQuantizersError) {
  std::mt19937 rng(5);
  std::student_t_distribution<float> heavy(3.0f);
  const std::size_t rows = 48, cols = 384;
  std::vector<float> w(rows * cols);
  for (auto& v : w) v = bf16_to_float(float_to_bf16(0.02f * heavy(rng)));
  const ErrorCurve curve = measure_error_curve({w.data(), rows, cols}, rows, DType::BF16);
  EXPECT_EQ(curve.points.size(), 18u);  // 6 bit widths x 3 group sizes, all divide 384
  for (const auto& p : curve.points) {
    SCOPED_TRACE(testing::Message() << p.bits << "-bit g" << p.group_size);
    EXPECT_NEAR(p.relative_error, written_relative_error(w, rows, cols, p.bits, p.group_size, DType::BF16),
                1e-9 * p.relative_error);
  }
  // 2 bits at g32 on Student-t weights: roughly 10 dB; 8 bits: about 45 dB.
  EXPECT_GT(sqnr_db(curve.find(8, 64)->relative_error), sqnr_db(curve.find(2, 32)->relative_error) + 25.0);
}

// Optimized curves with column weights measure the weighted quantizer the writer runs (its
// plain squared error): on the whole matrix, and on sampled 128-column blocks, each quantized
// by hand with the weights of its own columns.
TEST(ErrorCurve, WeightedOptimizedCurveIsTheWrittenQuantizersError) {
  std::mt19937 rng(6);
  std::student_t_distribution<float> heavy(3.0f);
  std::lognormal_distribution<float> gamma(0.0f, 0.5f);
  const std::size_t rows = 64, cols = 512;
  std::vector<float> w(rows * cols), column_weights(cols);
  for (auto& v : w) v = bf16_to_float(float_to_bf16(0.02f * heavy(rng)));
  for (auto& v : column_weights) v = gamma(rng) * gamma(rng);
  auto block_error = [&](std::size_t row, std::size_t first_col, std::size_t width, int bits, int group,
                         double& norm) {
    const quant::AffineFormat format{bits, group};
    const std::vector<float> x(w.begin() + static_cast<std::ptrdiff_t>(row * cols + first_col),
                               w.begin() + static_cast<std::ptrdiff_t>(row * cols + first_col + width));
    std::vector<std::uint32_t> packed(quant::packed_words_per_row(width, bits));
    std::vector<float> scales(quant::groups_per_row(width, group)), biases(scales.size()), out(width);
    quant::quantize_affine_optimized_reference(x, 1, width, format, DType::BF16,
                                               std::span(column_weights).subspan(first_col, width), packed, scales,
                                               biases);
    quant::dequantize_affine(packed, scales, biases, 1, width, format, out);
    double sse = 0.0;
    for (std::size_t i = 0; i < width; ++i) {
      sse += (static_cast<double>(x[i]) - out[i]) * (static_cast<double>(x[i]) - out[i]);
      norm += static_cast<double>(x[i]) * x[i];
    }
    return sse;
  };
  const ErrorCurve whole = measure_error_curve({w.data(), rows, cols}, rows, DType::BF16, {1 << 30, 1},
                                               quant::ScaleMethod::optimized, column_weights);
  const CurveSampling sampling{1 << 12, 8};
  const ErrorCurve sampled = measure_error_curve({w.data(), rows, cols}, rows, DType::BF16, sampling,
                                                 quant::ScaleMethod::optimized, column_weights);
  const auto blocks = sampled_blocks(rows, cols, sampling);
  ASSERT_FALSE(blocks.empty());
  const ErrorCurve unweighted =
      measure_error_curve({w.data(), rows, cols}, rows, DType::BF16, {1 << 30, 1}, quant::ScaleMethod::optimized);
  int differs = 0;
  for (const auto& p : whole.points) {
    SCOPED_TRACE(testing::Message() << p.bits << "-bit g" << p.group_size);
    double sse = 0.0, norm = 0.0;
    for (std::size_t r = 0; r < rows; ++r) sse += block_error(r, 0, cols, p.bits, p.group_size, norm);
    EXPECT_NEAR(p.relative_error, sse / norm, 1e-9 * p.relative_error);
    sse = norm = 0.0;
    for (const std::int64_t b : blocks) {
      const auto per_row = static_cast<std::int64_t>(cols) / kCurveBlock;
      sse += block_error(static_cast<std::size_t>(b / per_row), static_cast<std::size_t>((b % per_row) * kCurveBlock),
                         kCurveBlock, p.bits, p.group_size, norm);
    }
    EXPECT_NEAR(sampled.find(p.bits, p.group_size)->relative_error, sse / norm, 1e-9 * sse / norm);
    differs += unweighted.find(p.bits, p.group_size)->relative_error != p.relative_error;
  }
  EXPECT_GT(differs, 12);  // the weights reach the quantizer
}

TEST(ErrorCurve, OnlyLegalGroupSizes) {
  std::vector<float> w(4 * 96, 0.5f);
  w[3] = -1.0f;
  const ErrorCurve curve = measure_error_curve({w.data(), 4, 96}, 4, DType::F32);
  for (const auto& p : curve.points) EXPECT_EQ(96 % p.group_size, 0);
  EXPECT_EQ(curve.points.size(), 6u);  // 96 = 3 x 32: only g32, at each of the 6 bit widths
  EXPECT_FALSE(has_error_curve(172));
  EXPECT_TRUE(has_error_curve(96));
}

TEST(ErrorCurve, SampledBlocksAreSpreadAndDistinct) {
  EXPECT_TRUE(sampled_blocks(10, 128, {}).empty());      // small: measure everything
  EXPECT_TRUE(sampled_blocks(100000, 96, {}).empty());   // no 128-column blocks
  const auto blocks = sampled_blocks(100000, 4096, {});  // 1/8 of 3.2M blocks
  ASSERT_EQ(blocks.size(), 400000u);
  for (std::size_t i = 1; i < blocks.size(); ++i) ASSERT_LT(blocks[i - 1], blocks[i]);
  // Every column band is sampled about equally (no alignment with the row length).
  std::vector<int> per_band(32, 0);
  for (const auto b : blocks) ++per_band[static_cast<std::size_t>(b % 32)];
  for (const int n : per_band) EXPECT_NEAR(n, 400000 / 32, 400000 / 32 / 10);
  EXPECT_EQ(sampled_blocks(30000, 512, {}).size(), 15000u);  // 1/8 of 120000 blocks > 2^20/128 = 8192
}

// Every matrix of a real model: the curve from sampled blocks against the curve of all values.
// The default policy measures >= 2^20 values per matrix, which is all of every matrix of the
// test models (checked below); to see the estimator at work the test also samples them far
// harder, 1/8 of the blocks and at least 2^17 values. Within 2 % at 2-6 bits; 8-bit errors are
// dominated by a few groups holding outliers, so the same sample spreads more there (5 %);
// the spread shrinks as the square root of the values measured.
int check_sampling(const std::string& model_path) {
  const ModelDirectory model(model_path);
  const CurveSampling forced{1 << 17, 8};
  const CurveSampling everything{std::int64_t{1} << 40, 1};
  int sampled = 0;
  for (const auto& tensor : model.tensors()) {
    const auto& shape = tensor.info->shape;
    if (shape.size() != 2 || !has_error_curve(shape[1]) || shape[0] == 1) continue;
    const auto full = model.read_float(tensor);
    const MatrixView t{full.data(), shape[0], shape[1]};
    const ErrorCurve all = measure_error_curve(t, shape[0], tensor.info->dtype, everything);
    EXPECT_EQ(all.values_measured, shape[0] * shape[1]);
    EXPECT_EQ(measure_error_curve(t, shape[0], tensor.info->dtype), all) << tensor.name() << ": default is exact";
    if (sampled_blocks(shape[0], shape[1], forced).empty()) continue;
    const ErrorCurve some = measure_error_curve(t, shape[0], tensor.info->dtype, forced);
    EXPECT_LT(some.values_measured, all.values_measured);
    EXPECT_EQ(all.points.size(), some.points.size());
    for (std::size_t i = 0; i < std::min(all.points.size(), some.points.size()); ++i) {
      SCOPED_TRACE(testing::Message() << tensor.name() << " " << all.points[i].bits << "-bit g"
                                      << all.points[i].group_size);
      const double tolerance = all.points[i].bits == 8 ? 0.05 : 0.02;
      EXPECT_NEAR(some.points[i].relative_error, all.points[i].relative_error,
                  tolerance * all.points[i].relative_error);
    }
    ++sampled;
  }
  return sampled;
}

TEST(ErrorCurve, SampleWithinTwoPercentQwen3Tiny) {
  EXPECT_GE(check_sampling((test::source_dir() / "models/qwen3-tiny-5.8m").string()), 19);
}
TEST(ErrorCurve, DefaultIsExactOnStories260k) { check_sampling(test::shared_path("models/stories260k").string()); }

// The analysis widens only the sampled blocks of a matrix it reads for the curve alone
// (read_matrix_blocks); the curve must equal the one measured on the whole widened matrix.
TEST(ErrorCurve, AnalysisFromSampledBlocksEqualsTheWholeMatrixCurve) {
  const ModelDirectory model(test::source_dir() / "models/qwen3-tiny-5.8m");
  AnalysisOptions options;
  options.error_curves = true;
  options.swan_metrics = false;
  options.record_time = false;
  options.curve_sampling = {1 << 14, 8};
  const Manifest manifest = analyze_model(model, "qwen3-tiny", options);
  int compared = 0;
  for (const auto& shard : manifest.shards) {
    for (const auto& t : shard.tensors) {
      if (!t.error_curve || t.shape.size() != 2) continue;
      const auto full = model.read_float(*model.find(t.name));
      const ErrorCurve expected = measure_error_curve({full.data(), t.shape[0], t.shape[1]}, t.shape[0],
                                                      model.find(t.name)->info->dtype, options.curve_sampling);
      EXPECT_EQ(*t.error_curve, expected) << t.name;
      if (expected.values_measured < t.shape[0] * t.shape[1]) ++compared;
    }
  }
  EXPECT_GE(compared, 19);  // the embedding and every 128-multiple-wide projection are sampled
}

TEST(ErrorCurve, AnalysisRecordsCurvesForEveryQuantizableMatrix) {
  const ModelDirectory model(test::source_dir() / "models/qwen3-tiny-5.8m");
  AnalysisOptions options;
  options.error_curves = true;
  options.swan_metrics = false;
  options.record_time = false;
  options.threads = 1;
  const Manifest one = analyze_model(model, "qwen3-tiny", options);
  options.threads = 2;
  const Manifest two = analyze_model(model, "qwen3-tiny", options);
  EXPECT_EQ(format_manifest(one), format_manifest(two));
  int curves = 0;
  for (const auto& shard : one.shards) {
    for (const auto& t : shard.tensors) {
      const bool matrix = t.shape.size() == 2 && t.shape[0] > 1 && t.shape[1] > 1;
      EXPECT_EQ(t.error_curve.has_value(), matrix) << t.name;
      if (!t.error_curve) continue;
      ++curves;
      // More bits at the same group size never raise the error.
      for (const int g : kCurveGroupSizes)
        for (std::size_t b = 1; b < std::size(kCurveBits); ++b)
          EXPECT_LE(t.error_curve->find(kCurveBits[b], g)->relative_error,
                    t.error_curve->find(kCurveBits[b - 1], g)->relative_error)
              << t.name << " g" << g;
    }
  }
  EXPECT_NE(one.find("model.embed_tokens.weight")->error_curve, std::nullopt);
  EXPECT_GE(curves, 6 * 7 + 1);
  // The manifest round-trips its curves.
  EXPECT_EQ(manifest_from_json(manifest_to_json(one), "m"), one);
}

}  // namespace
}  // namespace swan::analysis
