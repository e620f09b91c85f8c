// How the forward pass uses threads: one OpenMP parallel region per forward pass, and inside
// it "team kernels" — functions that every thread of the region calls with the same
// arguments, which split their work with orphaned `omp for` loops and end in that loop's
// barrier. Called outside any parallel region, a team kernel runs on the calling thread alone
// (a team of one), so the same code serves the single-threaded path.
//
// Why: a parallel region per kernel (the earlier design, ~15 per layer) pays a fork and a join
// each time, and on a machine where other processes compete for the cores every join waits
// for the most-delayed worker. Inside one region the steps still synchronise (a barrier per
// step that needs its predecessor's whole output), but fused steps (q/k/v, gate/up + SwiGLU,
// projections accumulating straight into the residual) leave about half as many of them, and
// no thread is created or woken between layers.
//
// Contract of a team kernel: arguments are checked before the region (a throw inside an
// OpenMP region terminates the program); no thread may skip the call; its output is complete
// for every thread when it returns.
#pragma once

#include <cstddef>

namespace swan::inference {

// A forward pass runs on one thread when its layers average fewer multiply-adds than this
// (~4 M, a few tens of microseconds): a decode step of a small model, where waking the team
// and the per-step barriers cost more than they save (on a loaded machine a barrier can wait a
// whole time slice).
inline constexpr std::size_t kTeamMinMultiplyAddsPerLayer = std::size_t{1} << 22;

}  // namespace swan::inference
