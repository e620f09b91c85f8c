// The byte-budget allocator on a 20,000-tensor instance shaped like real error curves
// (19 options each: float + 6 bit widths x 3 group sizes), at a low, middle and high budget;
// beside it, in the same run, a plain sort of as many values as the instance has options.
//   usage: allocator_bench [tensors=20000]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "swan/plan/allocator.h"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<swan::plan::KnapsackItem> items(n);
  std::uint64_t floor = 0, ceiling = 0;
  for (auto& item : items) {
    const std::uint64_t elements = 1u << (12 + rng() % 10);
    const double weight = 0.1 + unit(rng);
    item.options.push_back({elements * 2, 0.0});  // float
    for (const int bits : {2, 3, 4, 5, 6, 8})
      for (const int group : {32, 64, 128}) {
        const double error = std::pow(2.0, -2.0 * bits) * (1.0 + 4.0 / group) * (0.8 + 0.4 * unit(rng));
        item.options.push_back({elements * bits / 8 + 4 * elements / group, weight * error});
      }
    floor += elements * 2 / 8 + 4 * elements / 128;
    ceiling += elements * 2;
  }
  for (const double share : {0.1, 0.3, 0.6}) {
    const auto budget = floor + static_cast<std::uint64_t>(share * static_cast<double>(ceiling - floor));
    const auto start = Clock::now();
    const auto allocation = swan::plan::allocate(items, budget);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%zu tensors, budget %.0f%% of the way to float: %.3f s, used %.4f of the budget, gap to LP bound %.2e\n",
                n, share * 100.0, seconds, static_cast<double>(allocation->bytes) / static_cast<double>(budget),
                (allocation->cost - allocation->lower_bound) / allocation->cost);
  }
  std::vector<double> values(n * 19);
  for (auto& v : values) v = unit(rng);
  const auto start = Clock::now();
  std::sort(values.begin(), values.end());
  std::printf("baseline: sorting %zu doubles: %.3f s\n", values.size(),
              std::chrono::duration<double>(Clock::now() - start).count());
}
