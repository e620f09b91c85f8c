#include "swan/analysis/error_curve.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "swan/core/error.h"
#include "swan/quant/quantization_error.h"

namespace swan::analysis {

const CurvePoint* ErrorCurve::find(int bits, int group_size) const {
  for (const auto& p : points)
    if (p.bits == bits && p.group_size == group_size) return &p;
  return nullptr;
}

double sqnr_db(double relative_error) {
  if (relative_error <= 0.0) return std::numeric_limits<double>::infinity();
  return -10.0 * std::log10(relative_error);
}

std::vector<std::int64_t> sampled_blocks(std::int64_t rows, std::int64_t cols, const CurveSampling& sampling,
                                         std::int64_t block) {
  SWAN_CHECK(sampling.min_elements > 0 && sampling.fraction > 0, "curve sampling needs positive min_elements and fraction");
  SWAN_CHECK(block > 0, "curve sampling needs a positive block width");
  if (rows <= 0 || cols <= 0 || cols % block != 0) return {};
  const std::int64_t blocks = rows * (cols / block);
  const std::int64_t count = std::max((sampling.min_elements + block - 1) / block, blocks / sampling.fraction);
  if (count >= blocks) return {};
  // One block in each of `count` equal strata of the flat order, at a low-discrepancy offset
  // inside its stratum (golden-ratio sequence), so the sample does not line up with columns.
  std::vector<std::int64_t> out(static_cast<std::size_t>(count));
  const double stride = static_cast<double>(blocks) / static_cast<double>(count);
  for (std::int64_t i = 0; i < count; ++i) {
    const double jitter = std::fmod(0.5 + 0.6180339887498949 * static_cast<double>(i), 1.0);
    const auto b = static_cast<std::int64_t>((static_cast<double>(i) + jitter) * stride);
    out[static_cast<std::size_t>(i)] = std::min(b, blocks - 1);
  }
  return out;
}

std::vector<float> gather_blocks(const MatrixView& t, std::span<const std::int64_t> blocks, std::int64_t block) {
  SWAN_CHECK(block > 0 && t.cols % block == 0, "gather_blocks: {} columns are not whole blocks of {}", t.cols, block);
  std::vector<float> out(blocks.size() * static_cast<std::size_t>(block));
  const std::int64_t per_row = t.cols / block;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    SWAN_CHECK(blocks[i] >= 0 && blocks[i] < t.rows * per_row, "gather_blocks: block {} is outside the matrix", blocks[i]);
    const float* first = t.row(blocks[i] / per_row) + (blocks[i] % per_row) * block;
    std::copy_n(first, block, out.data() + i * static_cast<std::size_t>(block));
  }
  return out;
}

bool has_error_curve(std::int64_t cols) { return cols > 0 && cols % kCurveGroupSizes[0] == 0; }

namespace {

// The curve of `measured`, a matrix of whole groups (t itself or its gathered blocks), for a
// stored tensor of stored_rows x cols.
ErrorCurve curve_of(const MatrixView& measured, std::int64_t stored_rows, std::int64_t cols, DType scale_dtype,
                    quant::ScaleMethod scales) {
  ErrorCurve curve;
  curve.scales = quant::to_string(scales);
  curve.rows = stored_rows;
  curve.cols = cols;
  if (!has_error_curve(cols) || measured.rows == 0) return curve;
  curve.values_measured = measured.rows * measured.cols;
  double sum_squares = 0.0;
  for (const float v : measured.values()) sum_squares += static_cast<double>(v) * v;
  const auto rows = static_cast<std::size_t>(measured.rows);
  const auto measured_cols = static_cast<std::size_t>(measured.cols);
  for (const int bits : kCurveBits) {
    for (const int group_size : kCurveGroupSizes) {
      if (cols % group_size != 0) continue;
      const double sse = quant::quantization_sse(measured.values(), rows, measured_cols, {bits, group_size},
                                                 scale_dtype, /*threads=*/1, scales);
      curve.points.push_back({bits, group_size, sum_squares > 0.0 ? sse / sum_squares : 0.0});
    }
  }
  return curve;
}

}  // namespace

ErrorCurve measure_error_curve(const MatrixView& t, std::int64_t stored_rows, DType scale_dtype,
                               const CurveSampling& sampling, quant::ScaleMethod scales) {
  const auto blocks = sampled_blocks(t.rows, t.cols, sampling);
  if (blocks.empty()) return curve_of(t, stored_rows, t.cols, scale_dtype, scales);
  const std::vector<float> gathered = gather_blocks(t, blocks, kCurveBlock);
  return curve_of({gathered.data(), static_cast<std::int64_t>(blocks.size()), kCurveBlock}, stored_rows, t.cols,
                  scale_dtype, scales);
}

ErrorCurve measure_error_curve_of_blocks(std::span<const float> gathered, std::int64_t rows, std::int64_t cols,
                                         DType scale_dtype, quant::ScaleMethod scales) {
  SWAN_CHECK(gathered.size() % kCurveBlock == 0, "gathered curve blocks hold {} values, not whole 128-value blocks",
             gathered.size());
  return curve_of({gathered.data(), static_cast<std::int64_t>(gathered.size()) / kCurveBlock, kCurveBlock}, rows, cols,
                  scale_dtype, scales);
}

}  // namespace swan::analysis
