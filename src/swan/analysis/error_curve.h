// Error curves: what each affine quantization option would cost a tensor, in bytes and in
// reconstruction error, measured with the quantizer the writer uses. The byte-budget
// planner (plan/) chooses among these options; nothing here decides anything.
//
// For a matrix W (rows x cols, quantized along cols) and each option (bits ∈ {2,3,4,5,6,8},
// group size ∈ {32,64,128} dividing cols):
//   relative_error = ||W - Q(W)||² / ||W||²     (Q: quantize, then dequantize as mlx_lm does)
//   sqnr_db        = -10 log10(relative_error)
// Large matrices are measured on a sample of 128-column blocks (see CurveSampling): each
// block's error is independent of the others (groups never cross blocks), so the sample is an
// unbiased estimate of both sums; the tests bound its deviation from the full-matrix value.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "swan/analysis/matrix_view.h"
#include "swan/core/dtype.h"
#include "swan/quant/scale_method.h"

namespace swan::analysis {

inline constexpr int kCurveBits[] = {2, 3, 4, 5, 6, 8};
inline constexpr int kCurveGroupSizes[] = {32, 64, 128};

struct CurvePoint {
  int bits = 0;
  int group_size = 0;
  double relative_error = 0.0;
  bool operator==(const CurvePoint&) const = default;
};

struct ErrorCurve {
  std::int64_t rows = 0;           // rows of the matrix the curve describes
  std::int64_t cols = 0;
  std::int64_t values_measured = 0;  // values actually quantized (== rows * cols unless sampled)
  std::string scales = "minmax";   // the quantizer that was measured
  std::vector<CurvePoint> points;  // bits-major, group sizes ascending; only legal options

  const CurvePoint* find(int bits, int group_size) const;
  bool operator==(const ErrorCurve&) const = default;
};

double sqnr_db(double relative_error);  // +inf for an exact reconstruction

// Which values to measure. The unit is a block of 128 consecutive columns of one row, which
// holds whole groups of every group size, so a block's error is the same wherever it is
// measured. Large matrices are measured on a spread-out sample of blocks: enough to cover
// `min_elements` values and at least 1/fraction of the blocks; everything when that is no
// saving (or when cols is not a multiple of 128). Sampling blocks rather than rows puts every
// row and column band in the sample, so the estimate's spread is that of many independent
// groups.
struct CurveSampling {
  std::int64_t min_elements = std::int64_t{1} << 20;
  std::int64_t fraction = 8;
};

inline constexpr std::int64_t kCurveBlock = 128;

// Flat block indices (row * cols/block + block index) to measure, ascending; empty = measure
// all. `block` is the sampling unit's width (128 here; the ggml curves use 256 or 32, the
// widest block that holds whole blocks of every type they measure).
std::vector<std::int64_t> sampled_blocks(std::int64_t rows, std::int64_t cols, const CurveSampling& sampling,
                                         std::int64_t block = kCurveBlock);

// The sampled blocks of `t` (from sampled_blocks with the same `block`) as a matrix of
// blocks.size() rows x `block` columns.
std::vector<float> gather_blocks(const MatrixView& t, std::span<const std::int64_t> blocks, std::int64_t block);

// Whether a matrix with this last dimension has any legal option (cols % 32 == 0).
bool has_error_curve(std::int64_t cols);

// Curve of the matrix `t` (quantized along its rows), which describes a stored tensor of
// `stored_rows` rows (more than t.rows when t holds a sample of experts). Scales and biases
// are rounded to `scale_dtype` as the writer stores them; `scales` is the quantizer the writer
// will use. Single-threaded (the analysis runs tensors in parallel); deterministic.
// `column_weights` (t.cols values, or empty) are the optimized quantizer's column weights, as
// the writer passes them (analysis/input_importance.h); the error measured stays unweighted.
ErrorCurve measure_error_curve(const MatrixView& t, std::int64_t stored_rows, DType scale_dtype,
                               const CurveSampling& sampling = {},
                               quant::ScaleMethod scales = quant::ScaleMethod::minmax,
                               std::span<const float> column_weights = {});

// The same curve from the sampled blocks alone — sampled_blocks(rows, cols, sampling)'s blocks,
// 128 values each, in that order — so a reader can widen a sample of a huge matrix instead of
// all of it. Equals measure_error_curve of the whole matrix with the same sampling. With
// column weights, `blocks` must be those block indices (each block's columns pick its weights).
ErrorCurve measure_error_curve_of_blocks(std::span<const float> gathered, std::int64_t rows, std::int64_t cols,
                                         DType scale_dtype, quant::ScaleMethod scales = quant::ScaleMethod::minmax,
                                         std::span<const float> column_weights = {},
                                         std::span<const std::int64_t> blocks = {});

}  // namespace swan::analysis
