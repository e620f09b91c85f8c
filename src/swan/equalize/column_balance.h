// The data-free rule that picks one fold's factors c (equalize/folds.h) from the weights
// alone: Sinkhorn-style balancing of the matrices whose columns c multiplies (SINQ's idea,
// huawei-csl/SINQ, with the column factor folded into the neighbouring tensor instead of
// stored). Starting from r = 1, c = 1, repeat `iterations` times:
//   each row i of each matrix:  r_i = 1 / rms_j(W_ij * c_f(j))
//   each factor k:              c_k = c_k / rms_{i, j: f(j) = k}(W_ij * r_i * c_k)
// (rms: root mean square; the weights' mean is ~0, so it is their standard deviation). The
// row step only keeps large rows from deciding every column's statistic: per-group affine
// quantization is invariant to scaling a whole row, so r is not applied. Then c is raised to
// `strength` (1: balance fully, 0: no change), divided by its geometric mean (the norms
// keep their overall scale) and clamped into 2^±max_exponent. A column that is all zero
// keeps c = 1. (Factors rounded to powers of two would make every fold exact in any float
// format, but on the fixture models the balancing factors lie within 2^-0.73..2^1.35 and
// mostly within 2^±0.3, so rounding to powers of two left all but 1 of 8,448 (qwen3-tiny)
// and all but 18 of 1,660 (stories260k) at 1: no equalisation at all.)
// Why balancing could help per-group quantization (it measured no consistent gain: README): a group's step is set by its largest value,
// so a column much smaller than its neighbours is rounded to a few levels; equalising
// column magnitudes spreads the levels evenly, and the error of column j reaches the output
// scaled back by 1/c_j. Pure math on spans: no I/O.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

namespace swan::equalize {

struct BalanceRule {
  int iterations = 8;
  double strength = 1.0;
  int max_exponent = 6;
};

// A matrix in row-major order, `rows` x `cols`.
struct MatrixValues {
  std::span<const float> values;
  std::size_t rows = 0;
  std::size_t cols = 0;
};

// `channels` factors for `matrices` (all with input columns mapped by `column_to_factor`
// onto [0, channels)), each in [2^-max_exponent, 2^max_exponent].
std::vector<float> balance_columns(std::span<const MatrixValues> matrices, std::size_t channels,
                                   const std::function<std::size_t(std::size_t)>& column_to_factor,
                                   const BalanceRule& rule = {});

}  // namespace swan::equalize
