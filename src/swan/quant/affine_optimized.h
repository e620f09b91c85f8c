// Optimized scales for MLX affine quantization (`--scales optimized`): the format of
// affine.h unchanged — codes in [0, 2^bits - 1], one scale and one bias per group, read back
// as w_hat = scale * q + bias — but each group's scale and bias come from a search for the
// lowest weighted reconstruction error instead of MLX's min/max rule. A reader (mlx_lm,
// swan's own inference) cannot tell the difference and needs no change.
//
// Per group x[0..n) with column weights w[0..n) (w_i = 1 when none are given, which makes
// every step below exactly the unweighted one), nmax = 2^bits - 1, float32 arithmetic unless
// noted, wx_i = w_i * x_i. A "lane sum" accumulates term i into lane i mod 8, in index
// order, then adds the lanes pairwise (l and l + 4, then l and l + 2, then the two left); a
// "pair sum" accumulates term i into lane i mod 2, then adds the two. The fast kernel
// vectorises exactly those orders, so both give the same bits.
//  1. Clipping search (the idea of llama.cpp's make_qkx2_quants), only if max > min: for
//     k = 0 .. kSearchSteps-1, iscale = (nmax + (kSearchFirst + kSearchStep * k)) / (max - min),
//     codes l_i = clamp(rint((x_i - min) * iscale), 0, nmax); weighted least squares
//     x ~ s * l + b from s_w = lane sum of w, s_wx = lane sum of wx, the pair sums of
//     w*l and (w*l)*l and the lane sum of wx*l (solved in float64, dividing once by
//     multiplying with 1 / determinant); a fit with s > 0 scores
//     s * sum(wx*l) + b * sum(wx) (its weighted squared error is sum(w*x*x) minus the
//     score). The highest score wins, the first on ties.
//  2. The winner's s and b are rounded to the scale dtype (what the file stores), and the
//     codes recomputed from the stored values: q_i = clamp(rint((x_i - b) / s), 0, nmax).
//  3. kRefits times (alternating updates): weighted least squares of x on those codes (all
//     sums lane sums), round, recompute the codes (stops early if a fit has no positive
//     scale).
//  4. The result is kept only if its weighted squared error
//     sum(w_i * (fl(fl(q_i * s) + b) - x_i)^2) (lane sums) is below that of MLX's min/max
//     result for the group, which is kept otherwise (also when max == min or a stored value
//     is not finite and positive).
// So no group is ever reconstructed worse than by min/max (in the weighted error), and the
// output is a pure function of the weights and column weights: identical for any thread
// count.
//
// Column weights say how much an error in each input column costs the layer's output
// (analysis/input_importance.h derives them from the RMSNorm weight the matrix reads,
// without data). Across elements the error is plain squared error: weighting each error by
// sqrt(mean(x^2) + x_i^2) (llama.cpp's data-free weighting for Q4_1), or by mean(x^2) + x_i^2,
// protects large weights but raised the KLD (README, "Optimized scales").
//
// Preconditions as for quantize_affine (affine.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "swan/core/dtype.h"
#include "swan/quant/affine.h"

namespace swan::quant {

// 16 candidates: two passes of the fast kernel's 8-lane search. 19 candidates in steps of
// 0.1 over the same range cost a third pass (3.6x the CPU of min/max for `swan convert`
// against 2.9x) and measured no lower KLD (README, "Optimized scales").
inline constexpr int kSearchSteps = 16;
inline constexpr float kSearchFirst = -0.9f;  // iscale numerators nmax - 0.9 ... nmax + 0.9
inline constexpr float kSearchStep = 0.12f;
inline constexpr int kRefits = 2;

// Scalar reference: the executable spec above. Single-threaded.
void quantize_affine_optimized_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                                         AffineFormat format, DType scale_dtype, std::span<std::uint32_t> packed,
                                         std::span<float> scales, std::span<float> biases);
// Same with column weights: empty (uniform, the function above exactly) or one per column,
// each finite, positive and at most 2^20.
void quantize_affine_optimized_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                                         AffineFormat format, DType scale_dtype,
                                         std::span<const float> column_weights, std::span<std::uint32_t> packed,
                                         std::span<float> scales, std::span<float> biases);

}  // namespace swan::quant
