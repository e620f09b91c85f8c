// Benchmark of SWAN's analysis: per-metric time on a 4096 x 4096 matrix (a typical
// Linear), bias and time of the reference's SVD estimator by both routes against the exact
// top-25-of-256 ratio, and optionally a whole model directory (e.g. from make_synthetic_model).
//   usage: analyze_bench [MODEL_DIR [threads=2]] | analyze_bench --sketch
#include <fmt/core.h>

#include <cblas.h>
#include <time.h>

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

// CPU seconds of this thread (BLAS runs single-threaded here): unlike wall time, barely
// moved by other processes on a shared machine.
template <typename F>
double cpu_seconds(F&& f) {
  timespec a{}, b{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  f();
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  return static_cast<double>(b.tv_sec - a.tv_sec) + 1e-9 * static_cast<double>(b.tv_nsec - a.tv_nsec);
}

}  // namespace

const char* route_name(SketchRoute route) {
  return route == SketchRoute::spectrum ? "spectrum" : route == SketchRoute::matrix ? "matrix" : "gram";
}

int main(int argc, char** argv) {
  openblas_set_num_threads(1);  // as the analysis runs BLAS
  const bool sketch_only = argc > 1 && std::string(argv[1]) == "--sketch";
  if (!sketch_only) {
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
  // The reference's estimator (torch.svd_lowrank q=256 niter=2) by both routes against the
  // exact top-25-of-256 ratio: its bias (the mean over seeds minus exact), its seed-to-seed
  // spread, and the time of one call by each route.
  for (const auto& [rows, cols] : {std::pair{896, 896}, {4864, 896}, {1536, 1536}, {2048, 2048}, {2048, 6144}}) {
    const auto values = synthetic_matrix(rows, cols, 2);
    const MatrixView t{values.data(), rows, cols};
    SvdOptions exact;
    exact.estimator = SvdEstimator::exact;
    Random unused(0);
    double reference = 0;
    const double exact_s = cpu_seconds([&] { reference = *spectral_concentration(t, unused, exact).concentration; });
    fmt::print("{}x{}: exact top-25-of-256 {:.5f} ({:.3f} CPU-s); cost model picks the {}\n", rows, cols, reference,
               exact_s, route_name(cheapest_sketch_route(rows, cols)));
    for (const SketchRoute route : {SketchRoute::spectrum, SketchRoute::matrix, SketchRoute::gram}) {
      SvdOptions options;
      options.route = route;
      constexpr int kSeeds = 4;
      double sum = 0, sum2 = 0, time = 0;
      for (int seed = 0; seed < kSeeds; ++seed) {
        Random rng(seed);
        double value = 0;
        time += cpu_seconds([&] { value = *spectral_concentration(t, rng, options).concentration; });
        sum += value;
        sum2 += value * value;
      }
      const double mean = sum / kSeeds, sd = std::sqrt(std::max(0.0, sum2 / kSeeds - mean * mean));
      fmt::print("  sketch on the {:8}: mean {:.5f} (bias {:+.5f}, seed sd {:.5f}) {:.3f} CPU-s per call\n",
                 route_name(route), mean, mean - reference, sd, time / kSeeds);
    }
  }
  if (argc > 1 && !sketch_only) {
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
