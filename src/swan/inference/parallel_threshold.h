// When an element-wise step (residual add, SwiGLU, RMSNorm, RoPE) called outside a forward
// pass's parallel region (the MoE block, tests) is worth its own OpenMP parallel region.
// Inside the forward pass these steps are team kernels (team.h) and always work-shared.
#pragma once

#include <cstddef>

namespace swan::inference {

// Each parallel region ends in a barrier that waits for the slowest thread; on a machine
// where other processes compete for the cores, a descheduled worker makes that wait a whole
// time slice (milliseconds), while one of these memory-bound passes over a 512-token window
// takes ~0.1 ms on one core. So they run on the calling thread unless the data is large
// (here 4 Mi floats, a pass of several milliseconds), leaving the parallel regions to the
// matmuls and attention.
inline constexpr std::size_t kParallelElementwiseMinValues = std::size_t{1} << 22;

}  // namespace swan::inference
