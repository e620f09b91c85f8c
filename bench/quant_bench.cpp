// Micro benchmark of the MLX affine kernels on a 4096 x 4096 bf16 weight (a typical Linear):
// quantize throughput (GB/s of bf16 input) of the scalar reference vs the fast kernel in the
// same run, the optimized-scale kernel against min/max on one thread, plus dequantize and the
// fused quantized matmul. Plain main, a few seconds.
//   usage: quant_bench [bits=4] [group_size=64] [threads=0 (OpenMP default)]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "swan/core/float_formats.h"
#include "swan/quant/affine.h"
#include "swan/quant/quantized_matmul.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename F>
double best_seconds(int repeats, F&& f) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    f();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds < best) best = seconds;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const swan::quant::AffineFormat format{argc > 1 ? std::atoi(argv[1]) : 4, argc > 2 ? std::atoi(argv[2]) : 64};
  const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
  const std::size_t rows = 4096, cols = 4096;

  std::vector<float> weights(rows * cols);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  for (float& w : weights) w = swan::bf16_to_float(swan::float_to_bf16(normal(rng)));

  const std::size_t groups = rows * swan::quant::groups_per_row(cols, format.group_size);
  std::vector<std::uint32_t> packed(rows * swan::quant::packed_words_per_row(cols, format.bits));
  std::vector<float> scales(groups), biases(groups);
  std::vector<std::uint32_t> packed_ref(packed.size());
  std::vector<float> scales_ref(groups), biases_ref(groups);

  const double input_gb = static_cast<double>(rows * cols * 2) / 1e9;  // bf16 bytes
  const double reference = best_seconds(1, [&] {
    swan::quant::quantize_affine_reference(weights, rows, cols, format, swan::DType::BF16, packed_ref, scales_ref,
                                           biases_ref);
  });
  const double fast_1 = best_seconds(3, [&] {
    swan::quant::quantize_affine(weights, rows, cols, format, swan::DType::BF16, packed, scales, biases, 1);
  });
  const double fast = best_seconds(3, [&] {
    swan::quant::quantize_affine(weights, rows, cols, format, swan::DType::BF16, packed, scales, biases, threads);
  });
  const bool identical = packed == packed_ref &&
                         std::memcmp(scales.data(), scales_ref.data(), groups * sizeof(float)) == 0 &&
                         std::memcmp(biases.data(), biases_ref.data(), groups * sizeof(float)) == 0;

  std::printf("affine quantize %zux%zu bf16, bits=%d group_size=%d\n", rows, cols, format.bits, format.group_size);
  std::printf("  reference          %8.3f s  %7.3f GB/s\n", reference, input_gb / reference);
  std::printf("  fast, 1 thread     %8.3f s  %7.3f GB/s  (x%.1f vs reference)\n", fast_1, input_gb / fast_1,
              reference / fast_1);
  std::printf("  fast, threads=%d    %8.3f s  %7.3f GB/s  (x%.1f vs reference)\n", threads, fast,
              input_gb / fast, reference / fast);
  std::printf("  fast == reference: %s\n", identical ? "yes (bitwise)" : "NO");

  const double optimized_1 = best_seconds(3, [&] {
    swan::quant::quantize_affine(weights, rows, cols, format, swan::DType::BF16, packed, scales, biases, 1,
                                 swan::quant::ScaleMethod::optimized);
  });
  std::printf("  optimized scales, 1 thread %8.3f s  %7.3f GB/s  (x%.1f the min/max kernel's time)\n", optimized_1,
              input_gb / optimized_1, optimized_1 / fast_1);

  std::vector<float> dequantized(rows * cols);
  const double dequantize = best_seconds(3, [&] {
    swan::quant::dequantize_affine(packed, scales, biases, rows, cols, format, dequantized);
  });
  std::printf("dequantize_affine  %8.3f s  %7.3f Gweights/s\n", dequantize, rows * cols / dequantize / 1e9);

  const swan::quant::QuantizedMatrix matrix{packed, scales, biases, rows, cols, format};
  for (const std::size_t tokens : {std::size_t{1}, std::size_t{8}}) {
    std::vector<float> x(tokens * cols), y(tokens * rows);
    for (float& v : x) v = normal(rng);
    const double seconds = best_seconds(3, [&] { swan::quant::quantized_matmul(matrix, x, tokens, y, threads); });
    std::printf("quantized_matmul tokens=%zu %8.4f s  %7.2f GFLOP/s\n", tokens, seconds,
                2.0 * rows * cols * tokens / seconds / 1e9);
  }
  return identical ? 0 : 1;
}
