// Micro benchmark of the ggml block quantizers on one thread: for every ggml type, the scalar
// reference (quantize_row_reference) against the path convert uses (quantize_rows), in the
// same run, in CPU time of this thread (so other load on the machine does not count), on a Laplace-tailed bf16-valued 1024 x 4096 matrix with a few outlier columns
// (the synthetic benchmark models' values). Prints ns per element, the speed-up and whether
// the bytes are identical. Plain main, ~20 s.
//   usage: ggml_quant_bench [TYPE ...]   (default: every quantized type)
// SWAN_BENCH_REPEATS=N times the fast path N times (default 3) and keeps the best: one pass
// is ~40 ms, so on a shared machine comparing two builds wants ~25.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "swan/core/float_formats.h"
#include "swan/quant/ggml_quantize.h"

namespace {

using swan::quant::GgmlType;

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

template <typename F>
double best_seconds(int repeats, F&& f) {
  double best = 1e30;
  for (int i = 0; i < repeats; ++i) {
    const double start = thread_cpu_seconds();
    f();
    best = std::min(best, thread_cpu_seconds() - start);
  }
  return best;
}

std::vector<float> laplace_matrix(std::size_t rows, std::size_t cols) {
  std::mt19937 rng(11);
  std::exponential_distribution<float> magnitude(50.0f);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> w(rows * cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      float v = magnitude(rng) * (negative(rng) ? -1.0f : 1.0f);
      if (c % 509 == 3) v *= 12.0f;  // outlier channels
      w[r * cols + c] = swan::bf16_to_float(swan::float_to_bf16(v));
    }
  return w;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<GgmlType> types;
  for (int i = 1; i < argc; ++i) {
    const auto type = swan::quant::parse_ggml_type(argv[i]);
    if (!type) {
      std::fprintf(stderr, "unknown ggml type '%s'\n", argv[i]);
      return 2;
    }
    types.push_back(*type);
  }
  if (types.empty())
    for (const auto type : swan::quant::ggml_types())
      if (swan::quant::block_elements(type) > 1) types.push_back(type);

  const std::size_t rows = 1024, cols = 4096;
  const char* repeats = std::getenv("SWAN_BENCH_REPEATS");
  const int fast_repeats = repeats ? std::max(1, std::atoi(repeats)) : 3;
  const auto x = laplace_matrix(rows, cols);
  const double elements = static_cast<double>(rows * cols);
  std::printf("ggml quantize %zux%zu, 1 thread, CPU time (ns per element; bf16 input GB/s)\n", rows, cols);
  for (const auto type : types) {
    const std::size_t row_bytes = swan::quant::bytes_for(type, cols);
    std::vector<std::byte> reference(rows * row_bytes), fast(rows * row_bytes);
    const double ref_s = best_seconds(1, [&] {
      for (std::size_t r = 0; r < rows; ++r)
        swan::quant::quantize_row_reference(type, std::span(x).subspan(r * cols, cols),
                                            std::span(reference).subspan(r * row_bytes, row_bytes));
    });
    const double fast_s = best_seconds(fast_repeats, [&] { swan::quant::quantize_rows(type, x, rows, cols, fast, 1); });
    std::printf("  %-5s reference %6.2f ns  fast %6.2f ns (%6.3f GB/s)  x%.2f  identical: %s\n",
                std::string(swan::quant::ggml_type_name(type)).c_str(), 1e9 * ref_s / elements,
                1e9 * fast_s / elements, 2.0 * elements / fast_s / 1e9, ref_s / fast_s,
                fast == reference ? "yes" : "NO");
  }
  return 0;
}
