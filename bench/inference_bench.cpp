// Prefill throughput of swan's CPU forward pass on shared/models/qwen3-tiny-5.8m: the bf16
// checkpoint as stored, a 4-bit g64 MLX-quantized copy (written to a temp dir), and the
// straight-loop reference forward as a naive baseline, in one run on the same threads.
//
//   inference_bench [tokens=512] [repeats=5]      (fixtures: $SWAN_SHARED_DIR or ../shared)
//
// Reports the median wall time of `repeats` full-sequence forwards after one warm-up.
// OpenMP threads: OMP_NUM_THREADS. On a machine shared with other busy processes, set
// OMP_WAIT_POLICY=passive: libgomp's default spin-waiting then loses whole time slices.
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "../tests/inference/quantized_fixture.h"
#include "swan/core/error.h"
#include "swan/inference/model.h"
#include "swan/inference/reference_forward.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename Forward>
double median_seconds(Forward&& forward, int repeats) {
  forward();  // warm-up: page in the mapped weights, size the buffers
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    forward();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void report(const char* what, std::size_t tokens, double seconds, double bytes) {
  std::printf("%-34s %6zu tokens  %9.2f ms  %10.1f tokens/s  weights %6.2f MB\n", what, tokens, seconds * 1e3,
              static_cast<double>(tokens) / seconds, bytes / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::size_t tokens = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 512;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
    // Benchmarks get no fixture macro from the build: $SWAN_SHARED_DIR, else ../shared next
    // to the source tree.
    const char* shared = std::getenv("SWAN_SHARED_DIR");
    const std::filesystem::path shared_dir =
        shared ? std::filesystem::path(shared) : std::filesystem::path(__FILE__).parent_path() / "../../shared";
    const std::filesystem::path source = shared_dir / "models/qwen3-tiny-5.8m";
    const std::filesystem::path quantized_dir =
        std::filesystem::temp_directory_path() / ("swan-inference-bench-q4-" + std::to_string(::getpid()));
    swan::test::write_quantized_copy(source, quantized_dir, {4, 64});

    const auto bf16 = swan::inference::Model::load(source);
    const auto q4 = swan::inference::Model::load(quantized_dir);
    std::vector<std::int32_t> ids(tokens);
    for (std::size_t i = 0; i < tokens; ++i) ids[i] = static_cast<std::int32_t>((i * 2654435761u) % 4091);

    std::printf("qwen3-tiny-5.8m prefill, %d OpenMP threads, median of %d\n", omp_get_max_threads(), repeats);
    report("swan bf16 (tile convert + sgemm)", tokens, median_seconds([&] { (void)bf16.forward(ids); }, repeats),
           static_cast<double>(bf16.weights().stored_bytes()));
    report("swan 4-bit g64 (tile dequant + sgemm)", tokens,
           median_seconds([&] { (void)q4.forward(ids); }, repeats), static_cast<double>(q4.weights().stored_bytes()));
    // The naive baseline is quadratic-free but ~50x slower: time it on a shorter prefix.
    const std::size_t naive_tokens = std::min<std::size_t>(tokens, 64);
    const std::span<const std::int32_t> prefix(ids.data(), naive_tokens);
    report("naive fp32 loops (1 thread, bf16)", naive_tokens,
           median_seconds([&] { (void)swan::inference::reference_forward(bf16.config(), bf16.weights(), prefix); }, 1),
           static_cast<double>(bf16.weights().stored_bytes()));
    std::filesystem::remove_all(quantized_dir);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "inference_bench: %s\n", error.what());
    return 1;
  }
}
