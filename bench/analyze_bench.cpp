// Benchmark of SWAN's analysis: per-metric time on a 4096 x 4096 matrix (a typical
// Linear), accuracy/time of the randomized-SVD settings against the exact top-25-of-256
// ratio, and optionally a whole model directory (e.g. from make_synthetic_model).
//   usage: analyze_bench [MODEL_DIR [threads=2]]
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "swan/analysis/analyzer.h"
#include "swan/analysis/error_proxy.h"
#include "swan/analysis/kurtosis.h"
#include "swan/analysis/output_noise.h"
#include "swan/analysis/spectral_concentration.h"
#include "swan/io/model_directory.h"

namespace {

using namespace swan::analysis;
using Clock = std::chrono::steady_clock;

template <typename F>
double seconds(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Heavy-tailed weights with a decaying spectrum: a low-rank part plus Student-t-like noise.
std::vector<float> synthetic_matrix(int rows, int cols, std::uint64_t seed) {
  Random rng(seed);
  std::vector<float> v(static_cast<std::size_t>(rows) * cols);
  const int rank = 16;
  std::vector<float> u(static_cast<std::size_t>(rows) * rank), w(static_cast<std::size_t>(cols) * rank);
  for (float& x : u) x = static_cast<float>(rng.normal());
  for (float& x : w) x = static_cast<float>(rng.normal());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double low = 0;
      for (int k = 0; k < rank; ++k) low += u[r * rank + k] * w[c * rank + k] / (1.0 + k);
      const double g = rng.normal(), chi = std::abs(rng.normal()) + 0.3;
      v[static_cast<std::size_t>(r) * cols + c] = static_cast<float>(0.02 * (0.05 * low + g / chi));
    }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  {
    const int n = 4096;
    const auto values = synthetic_matrix(n, n, 1);
    const MatrixView t{values.data(), n, n};
    Random rng(5);
    fmt::print("4096x4096 float32 ({:.0f} MB):\n", values.size() * 4 / 1e6);
    fmt::print("  kurtosis            {:7.3f} s\n", seconds([&] { excess_kurtosis(t); }));
    fmt::print("  error proxy g128    {:7.3f} s\n", seconds([&] { quantization_error_proxy(t); }));
    fmt::print("  output (analytic)   {:7.3f} s\n", seconds([&] { output_noise_analytic(t); }));
    fmt::print("  output (sampled)    {:7.3f} s\n", seconds([&] { output_noise_sampled(t, rng); }));
    fmt::print("  randomized svd      {:7.3f} s (default settings)\n",
               seconds([&] { spectral_concentration(t, rng); }));
  }
  {
    const int rows = 1024, cols = 2048;
    const auto values = synthetic_matrix(rows, cols, 2);
    const MatrixView t{values.data(), rows, cols};
    auto exact = squared_singular_values(t);
    exact.resize(256);
    const double reference = *top_decile_energy(exact);
    fmt::print("randomized top-25-of-256 on 1024x2048, exact {:.5f}:\n", reference);
    for (const auto [oversample, iterations] : {std::pair{0, 2}, {16, 2}, {32, 2}, {32, 3}, {64, 3}, {32, 4}}) {
      Random rng(9);
      double value = 0;
      const double s = seconds([&] {
        value = *spectral_concentration(t, rng, RandomizedSvdOptions{oversample, iterations}).concentration;
      });
      fmt::print("  oversample {:2} iterations {}: {:.5f} (error {:+.5f}) {:.3f} s\n", oversample, iterations, value,
                 value - reference, s);
    }
  }
  if (argc > 1) {
    const swan::ModelDirectory model(argv[1]);
    AnalysisOptions options;
    options.threads = argc > 2 ? std::stoi(argv[2]) : 2;
    Manifest manifest;
    const double s = seconds([&] { manifest = analyze_model(model, argv[1], options); });
    fmt::print("{}: {} tensors, {:.2f} GB, {:.2f} s with {} threads ({:.2f} GB/s), average {:.3f} bits\n", argv[1],
               manifest.summary.tensor_count, model.total_weight_bytes() / 1e9, s, options.threads,
               model.total_weight_bytes() / 1e9 / s, manifest.summary.average_bits);
  }
}
