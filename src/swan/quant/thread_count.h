// Internal to quant/: how many OpenMP threads a kernel call should use.
//
// Why not always all of them: starting an OpenMP team and its closing barrier cost far more
// than a small matrix takes, and on a loaded machine the spinning waiters make it much worse
// (measured: the 180 golden cases took 35 ms single-threaded and 2.3 s with two threads).
// Kernels results never depend on the count, only their speed.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>

namespace swan::quant::detail {

// Below this many weights per thread a call stays single-threaded.
inline constexpr std::size_t kMinElementsPerThread = std::size_t{1} << 15;

// `requested` > 0 is honoured as given (capped by rows); otherwise OpenMP's default,
// reduced so every thread gets at least kMinElementsPerThread elements.
inline int thread_count(std::size_t rows, std::size_t elements, int requested) {
  const std::size_t row_cap = std::max<std::size_t>(rows, 1);
  if (requested > 0) return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(requested), row_cap));
  const std::size_t by_work = std::max<std::size_t>(elements / kMinElementsPerThread, 1);
  const auto available = static_cast<std::size_t>(std::max(omp_get_max_threads(), 1));
  return static_cast<int>(std::min({available, by_work, row_cap}));
}

}  // namespace swan::quant::detail
