// Fused dequantize-and-multiply: each thread expands one row of W at a time into a float
// buffer that stays in L1/L2 (16 KB for 4096 columns) and dots it with up to four token
// vectors at once, so one load of the weight feeds four FMAs.
#include "swan/quant/quantized_matmul.h"

#include <cmath>
#include <vector>

#include "swan/core/error.h"
#include "swan/quant/affine_checks.h"
#include "swan/quant/affine_dequantize_row.h"
#include "swan/quant/thread_count.h"

namespace swan::quant {
namespace {

constexpr int kLanes = 16;

// Lane-wise acc += a * b over one 16-float chunk (the compiler turns this into one or two
// vector FMAs; the fixed trip count keeps it vectorisable without reassociation).
inline void fma_lanes(float* acc, const float* a, const float* b) {
  for (int l = 0; l < kLanes; ++l) acc[l] = std::fma(a[l], b[l], acc[l]);
}

inline float sum_lanes(float* acc) {
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int l = 0; l < width; ++l) acc[l] += acc[l + width];
  }
  return acc[0];
}

// dot(row, x) with 16 interleaved partial sums; n is a multiple of 32.
float dot1(const float* row, const float* x, std::size_t n) {
  float acc[kLanes] = {};
  for (std::size_t k = 0; k < n; k += kLanes) fma_lanes(acc, row + k, x + k);
  return sum_lanes(acc);
}

// Four dots sharing each load of `row`; each token's sum order is exactly that of dot1.
void dot4(const float* row, const float* x0, const float* x1, const float* x2, const float* x3, std::size_t n,
          float* out) {
  float acc0[kLanes] = {}, acc1[kLanes] = {}, acc2[kLanes] = {}, acc3[kLanes] = {};
  for (std::size_t k = 0; k < n; k += kLanes) {
    fma_lanes(acc0, row + k, x0 + k);
    fma_lanes(acc1, row + k, x1 + k);
    fma_lanes(acc2, row + k, x2 + k);
    fma_lanes(acc3, row + k, x3 + k);
  }
  out[0] = sum_lanes(acc0);
  out[1] = sum_lanes(acc1);
  out[2] = sum_lanes(acc2);
  out[3] = sum_lanes(acc3);
}

void dot_all_tokens(const float* row, const float* x, std::size_t tokens, std::size_t cols, std::size_t rows,
                    std::size_t r, float* y) {
  std::size_t t = 0;
  float out[4];
  for (; t + 4 <= tokens; t += 4) {
    dot4(row, x + t * cols, x + (t + 1) * cols, x + (t + 2) * cols, x + (t + 3) * cols, cols, out);
    for (int i = 0; i < 4; ++i) y[(t + i) * rows + r] = out[i];
  }
  // The rest one at a time. dot4 and dot1 sum each token in the same order, so a token's y
  // does not depend on how many tokens came with it.
  for (; t < tokens; ++t) {
    y[t * rows + r] = dot1(row, x + t * cols, cols);
  }
}

}  // namespace

void check_quantized_matrix(const QuantizedMatrix& w, const char* what) {
  detail::check_format(what, w.format, w.cols);
  detail::check_size(what, "packed", w.packed.size(), w.rows * packed_words_per_row(w.cols, w.format.bits));
  detail::check_size(what, "scales", w.scales.size(), w.rows * groups_per_row(w.cols, w.format.group_size));
  detail::check_size(what, "biases", w.biases.size(), w.rows * groups_per_row(w.cols, w.format.group_size));
}

void quantized_matmul(const QuantizedMatrix& w, std::span<const float> x, std::size_t tokens, std::span<float> y,
                      int threads) {
  const char* op = "quantized_matmul";
  check_quantized_matrix(w, op);
  detail::check_size(op, "x", x.size(), tokens * w.cols);
  detail::check_size(op, "y", y.size(), tokens * w.rows);
  if (tokens == 0 || w.rows == 0) return;
  const std::size_t words = packed_words_per_row(w.cols, w.format.bits);
  const std::size_t groups = groups_per_row(w.cols, w.format.group_size);
  const int thread_count = detail::thread_count(w.rows, w.rows * w.cols * tokens, threads);
  const auto row_count = static_cast<std::ptrdiff_t>(w.rows);

  detail::dispatch_bits(w.format.bits, [&](auto b) {
    constexpr int Bits = decltype(b)::value;
#pragma omp parallel num_threads(thread_count) if (thread_count > 1)
    {
      std::vector<float> row(w.cols);
#pragma omp for schedule(static)
      for (std::ptrdiff_t ri = 0; ri < row_count; ++ri) {
        const auto r = static_cast<std::size_t>(ri);
        detail::dequantize_row<Bits>(w.packed.data() + r * words, w.scales.data() + r * groups,
                                     w.biases.data() + r * groups, w.cols, w.format.group_size, row.data());
        dot_all_tokens(row.data(), x.data(), tokens, w.cols, w.rows, r, y.data());
      }
    }
  });
}

float quantized_row_dot(const QuantizedMatrix& w, std::size_t row, std::span<const float> x) {
  const char* op = "quantized_row_dot";
  check_quantized_matrix(w, op);
  detail::check_size(op, "x", x.size(), w.cols);
  if (row >= w.rows) fail("[{}] row {} is outside the matrix's {} rows", op, row, w.rows);
  const std::size_t words = packed_words_per_row(w.cols, w.format.bits);
  const std::size_t groups = groups_per_row(w.cols, w.format.group_size);
  std::vector<float> expanded(w.cols);
  detail::dispatch_bits(w.format.bits, [&](auto b) {
    detail::dequantize_row<decltype(b)::value>(w.packed.data() + row * words, w.scales.data() + row * groups,
                                               w.biases.data() + row * groups, w.cols, w.format.group_size,
                                               expanded.data());
  });
  return dot1(expanded.data(), x.data(), w.cols);
}

}  // namespace swan::quant
