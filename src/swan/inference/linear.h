// y = x · Wᵀ (+ bias) for a batch of activation rows, over any WeightMatrix. The weight is
// walked in bands of output rows; each band is widened / dequantized into a cache-sized
// float32 tile and multiplied with one single-threaded sgemm (sgemv for one token), bands
// shared among the threads of an OpenMP team. A whole float32 copy of the weight never
// exists.
//
// Fusion: several matrices applied to the same input (q/k/v; gate/up) are one work-shared
// loop over the bands of all of them, so the team passes the input once per step and meets
// at one barrier instead of one per matrix; gate/up also applies SwiGLU to each band while it
// is in cache, and a projection whose output is added to the residual stream (o, down)
// accumulates into it directly (sgemm with beta = 1).
#pragma once

#include <cstddef>
#include <functional>
#include <span>

#include "swan/inference/weight_matrix.h"

namespace swan::inference {

// One matrix of a (fused) product over the input x [tokens, weight->cols()]:
// y [tokens, weight->rows()] = x · weightᵀ + bias, or y += x · weightᵀ + bias when the
// product accumulates. bias: empty or weight->rows() values.
struct LinearTarget {
  const WeightMatrix* weight = nullptr;
  std::span<float> y;
  std::span<const float> bias;
  // Rows per band are a multiple of this (head_dim: a band then holds whole heads).
  std::size_t band_multiple = 16;
  // When set, called for each band once its output rows [begin, end) are in y, by the thread
  // that wrote them: element-wise work fused in while the values are in cache (Qwen3's q/k
  // norm and RoPE, per head). Must not throw.
  std::function<void(std::size_t begin, std::size_t end)> finish_band;
};

enum class Accumulate { No, Yes };

// Team kernel (team.h): every target times the same x, the row bands of all targets in one
// work-shared loop. Targets must share cols; check_linear_target() them before the region.
void linear_in_team(std::span<const LinearTarget> targets, std::span<const float> x, std::size_t tokens,
                    Accumulate accumulate = Accumulate::No);

// Team kernel: gate.y = silu(x · gateᵀ + gate.bias) * (x · upᵀ + up.bias), up.y being scratch
// ([tokens, rows] each; gate and up of the same shape). The band of gate rows [a, b) and the
// band of up rows [a, b) are one work item, so SwiGLU runs on values still in cache.
void gated_linear_in_team(const LinearTarget& gate, const LinearTarget& up, std::span<const float> x,
                          std::size_t tokens);

// Throws swan::Error unless `target` fits an input of `tokens` rows of `x_values / tokens`
// values (the checks a team kernel cannot make: a throw inside the region would terminate).
void check_linear_target(const LinearTarget& target, std::size_t x_values, std::size_t tokens);

// Outside a forward pass's region: checks, then one product in its own parallel region
// (on the calling thread alone when it is small). bias: empty or weight.rows().
void linear(const WeightMatrix& weight, std::span<const float> x, std::size_t tokens, std::span<float> y,
            std::span<const float> bias = {});

// While any is alive, OpenBLAS runs every call on the calling thread. swan parallelises
// with OpenMP around single-threaded sgemm calls; OpenBLAS's own (pthreads) pool would
// otherwise oversubscribe the cores or serialise concurrent calls. Guards held at the same
// time by several threads (concurrent forward passes) count as one: the first sets one
// thread, the last restores the previous setting — not the first to finish, which would hand
// the pool back under a pass still running (its sgemm calls then split across the pool and
// round differently: measured sensitivity came out different at 1 and 2 threads).
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
};

}  // namespace swan::inference
