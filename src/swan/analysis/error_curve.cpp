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

// The squared error of `measured` with one option: the whole matrix at once, or with column
// weights and gathered blocks, block by block with the weights of that block's columns.
double option_sse(const MatrixView& measured, std::int64_t cols, quant::AffineFormat format, DType scale_dtype,
                  quant::ScaleMethod scales, std::span<const float> column_weights,
                  std::span<const std::int64_t> blocks) {
  const auto rows = static_cast<std::size_t>(measured.rows);
  const auto measured_cols = static_cast<std::size_t>(measured.cols);
  if (column_weights.empty() || blocks.empty())
    return quant::quantization_sse(measured.values(), rows, measured_cols, format, scale_dtype, /*threads=*/1, scales,
                                   column_weights);
  const std::int64_t per_row = cols / kCurveBlock;
  double sse = 0.0;
  for (std::size_t i = 0; i < rows; ++i) {
    const auto first_col = static_cast<std::size_t>((blocks[i] % per_row) * kCurveBlock);
    sse += quant::quantization_sse(measured.values().subspan(i * measured_cols, measured_cols), 1, measured_cols,
                                   format, scale_dtype, 1, scales, column_weights.subspan(first_col, measured_cols));
  }
  return sse;
}

// The curve of `measured`, a matrix of whole groups (t itself or its gathered blocks, then
// `blocks` their indices when column weights are given), for a stored tensor of
// stored_rows x cols.
ErrorCurve curve_of(const MatrixView& measured, std::int64_t stored_rows, std::int64_t cols, DType scale_dtype,
                    quant::ScaleMethod scales, std::span<const float> column_weights = {},
                    std::span<const std::int64_t> blocks = {}) {
  SWAN_CHECK(column_weights.empty() || static_cast<std::int64_t>(column_weights.size()) == cols,
             "error curve: {} column weights for {} columns", column_weights.size(), cols);
  SWAN_CHECK(column_weights.empty() || measured.cols == cols || static_cast<std::int64_t>(blocks.size()) == measured.rows,
             "error curve: column weights on sampled blocks need the block indices");
  ErrorCurve curve;
  curve.scales = quant::to_string(scales);
  curve.rows = stored_rows;
  curve.cols = cols;
  if (!has_error_curve(cols) || measured.rows == 0) return curve;
  curve.values_measured = measured.rows * measured.cols;
  double sum_squares = 0.0;
  for (const float v : measured.values()) sum_squares += static_cast<double>(v) * v;
  // Weights only steer the optimized search; min/max ignores them.
  if (scales != quant::ScaleMethod::optimized) column_weights = {};
  for (const int bits : kCurveBits) {
    for (const int group_size : kCurveGroupSizes) {
      if (cols % group_size != 0) continue;
      const double sse =
          option_sse(measured, cols, {bits, group_size}, scale_dtype, scales, column_weights, blocks);
      curve.points.push_back({bits, group_size, sum_squares > 0.0 ? sse / sum_squares : 0.0});
    }
  }
  return curve;
}

}  // namespace

ErrorCurve measure_error_curve(const MatrixView& t, std::int64_t stored_rows, DType scale_dtype,
                               const CurveSampling& sampling, quant::ScaleMethod scales,
                               std::span<const float> column_weights) {
  const auto blocks = sampled_blocks(t.rows, t.cols, sampling);
  if (blocks.empty()) return curve_of(t, stored_rows, t.cols, scale_dtype, scales, column_weights);
  const std::vector<float> gathered = gather_blocks(t, blocks, kCurveBlock);
  return curve_of({gathered.data(), static_cast<std::int64_t>(blocks.size()), kCurveBlock}, stored_rows, t.cols,
                  scale_dtype, scales, column_weights, blocks);
}

ErrorCurve measure_error_curve_of_blocks(std::span<const float> gathered, std::int64_t rows, std::int64_t cols,
                                         DType scale_dtype, quant::ScaleMethod scales,
                                         std::span<const float> column_weights,
                                         std::span<const std::int64_t> blocks) {
  SWAN_CHECK(gathered.size() % kCurveBlock == 0, "gathered curve blocks hold {} values, not whole 128-value blocks",
             gathered.size());
  return curve_of({gathered.data(), static_cast<std::int64_t>(gathered.size()) / kCurveBlock, kCurveBlock}, rows, cols,
                  scale_dtype, scales, column_weights, blocks);
}

}  // namespace swan::analysis
