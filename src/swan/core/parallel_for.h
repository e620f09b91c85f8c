// A work-shared loop that may throw: body(i) for i in [0, count) on up to `threads` OpenMP
// threads. An exception must not escape an OpenMP region (it would terminate the process), so
// the first one is carried out and rethrown after the loop. Schedule::dynamic hands out one i
// at a time, for bodies of unequal cost; which thread runs an i never changes what it computes.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <exception>

namespace swan {

enum class Schedule { static_blocks, dynamic };

template <typename Body>
void parallel_for(std::size_t count, int threads, const Body& body, Schedule schedule = Schedule::static_blocks) {
  std::exception_ptr error;
  const auto n = static_cast<std::ptrdiff_t>(count);
  const auto guarded = [&](std::ptrdiff_t i) {
    try {
      body(static_cast<std::size_t>(i));
    } catch (...) {
#pragma omp critical(swan_parallel_for_error)
      if (!error) error = std::current_exception();
    }
  };
  if (schedule == Schedule::dynamic) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(std::max(threads, 1))
    for (std::ptrdiff_t i = 0; i < n; ++i) guarded(i);
  } else {
#pragma omp parallel for schedule(static) num_threads(std::max(threads, 1))
    for (std::ptrdiff_t i = 0; i < n; ++i) guarded(i);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace swan
