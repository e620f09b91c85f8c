// ggml error curves: each point equals the error of writing the matrix with the ggml
// quantizer and reading it back with the dequantizer (independently, through quantize_rows /
// dequantize_rows); only types whose block divides the rows; F16 is no option for values
// beyond its range; the block sample stays close to the full-matrix error.
#include "swan/analysis/ggml_error_curve.h"

#include <gtest/gtest.h>

#include <random>

#include "support/fixtures.h"
#include "swan/io/model_directory.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::analysis {
namespace {

using quant::GgmlType;

const GgmlType kAll[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q6_K,
                         GgmlType::Q5_K, GgmlType::Q5_1, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q4_1,
                         GgmlType::Q4_0, GgmlType::Q3_K, GgmlType::Q2_K};

double written_relative_error(GgmlType type, const std::vector<float>& w, std::size_t rows, std::size_t cols) {
  std::vector<std::byte> packed(rows * quant::bytes_for(type, cols));
  std::vector<float> back(w.size());
  quant::quantize_rows(type, w, rows, cols, packed, 1);
  quant::dequantize_rows(type, packed, rows, cols, back, 1);
  double sse = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(w[i]) - back[i];
    sse += d * d;
    norm += static_cast<double>(w[i]) * w[i];
  }
  return sse / norm;
}

std::vector<float> student_t(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::student_t_distribution<float> heavy(3.0f);
  std::vector<float> w(n);
  for (auto& v : w) v = 0.02f * heavy(rng);
  return w;
}

TEST(GgmlErrorCurve, PointsEqualTheWrittenFilesError) {
  const std::size_t rows = 24, cols = 512;
  const auto w = student_t(rows * cols, 7);
  const auto curve = measure_ggml_error_curve({w.data(), rows, cols}, kAll);
  ASSERT_EQ(curve.points.size(), std::size(kAll));  // 512 holds whole blocks of every type
  EXPECT_EQ(curve.values_measured, static_cast<std::int64_t>(rows * cols));
  for (const auto& p : curve.points) {
    SCOPED_TRACE(quant::ggml_type_name(p.type));
    EXPECT_NEAR(p.relative_error, written_relative_error(p.type, w, rows, cols), 1e-12 + 1e-9 * p.relative_error);
  }
  EXPECT_EQ(curve.find(GgmlType::F32)->relative_error, 0.0);
  // More bits of the same family, less error; Q2_K is far worse than Q8_0.
  EXPECT_LT(curve.find(GgmlType::Q6_K)->relative_error, curve.find(GgmlType::Q5_K)->relative_error);
  EXPECT_LT(curve.find(GgmlType::Q5_K)->relative_error, curve.find(GgmlType::Q4_K)->relative_error);
  EXPECT_LT(curve.find(GgmlType::Q4_K)->relative_error, curve.find(GgmlType::Q3_K)->relative_error);
  EXPECT_LT(curve.find(GgmlType::Q3_K)->relative_error, curve.find(GgmlType::Q2_K)->relative_error);
  EXPECT_LT(curve.find(GgmlType::Q4_1)->relative_error, curve.find(GgmlType::Q4_0)->relative_error);
  EXPECT_GT(curve.find(GgmlType::Q2_K)->relative_error, 100.0 * curve.find(GgmlType::Q8_0)->relative_error);
}

TEST(GgmlErrorCurve, OnlyTypesThatFitTheRows) {
  const auto w = student_t(4 * 172, 3);
  EXPECT_EQ(legal_ggml_types(kAll, 64),
            (std::vector{GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q5_1, GgmlType::Q5_0,
                         GgmlType::Q4_1, GgmlType::Q4_0}));
  const auto curve = measure_ggml_error_curve({w.data(), 4, 172}, kAll);  // 172: no block fits
  ASSERT_EQ(curve.points.size(), 3u);
  EXPECT_EQ(curve.points[0].type, GgmlType::F32);
  EXPECT_EQ(curve.points[1].type, GgmlType::F16);
  EXPECT_EQ(curve.points[2].type, GgmlType::BF16);
}

TEST(GgmlErrorCurve, NoF16BeyondItsRangeEvenOutsideTheSample) {
  std::vector<float> w(4096 * 256, 0.25f);
  w[4095 * 256 + 7] = 70000.0f;  // beyond F16's 65504, in a block the sample may skip
  const auto curve = measure_ggml_error_curve({w.data(), 4096, 256}, kAll, CurveSampling{1 << 14, 64});
  EXPECT_LT(curve.values_measured, 4096 * 256);
  EXPECT_EQ(curve.find(GgmlType::F16), nullptr);
  EXPECT_NE(curve.find(GgmlType::BF16), nullptr);
}

// The block sample against the full matrix on every matrix of qwen3-tiny, sampling harder
// than the default (2^17 values, 1/8 of the blocks): within 3 % for the 2-6 bit types.
TEST(GgmlErrorCurve, SampleCloseToTheFullMatrixQwen3Tiny) {
  const ModelDirectory model(test::source_dir() / "models/qwen3-tiny-5.8m");
  const CurveSampling forced{1 << 17, 8};
  const CurveSampling everything{std::int64_t{1} << 40, 1};
  int sampled = 0;
  for (const auto& tensor : model.tensors()) {
    const auto& shape = tensor.info->shape;
    if (shape.size() != 2 || shape[0] == 1) continue;
    const auto full = model.read_float(tensor);
    const MatrixView t{full.data(), shape[0], shape[1]};
    if (sampled_blocks(t.rows, t.cols, forced, 256).empty()) continue;
    const auto all = measure_ggml_error_curve(t, kAll, everything);
    const auto some = measure_ggml_error_curve(t, kAll, forced);
    EXPECT_LT(some.values_measured, all.values_measured);
    ASSERT_EQ(all.points.size(), some.points.size());
    for (std::size_t i = 0; i < all.points.size(); ++i) {
      SCOPED_TRACE(testing::Message() << tensor.name() << " " << quant::ggml_type_name(all.points[i].type));
      if (!quant::is_block_quantized(all.points[i].type) || all.points[i].type == GgmlType::Q8_0) continue;
      EXPECT_NEAR(some.points[i].relative_error, all.points[i].relative_error, 0.03 * all.points[i].relative_error);
    }
    ++sampled;
  }
  EXPECT_GE(sampled, 10);
}

}  // namespace
}  // namespace swan::analysis
