// y = x · Wᵀ (+ bias) for a batch of activation rows, over any WeightMatrix. The weight is
// walked in bands of output rows; each band is widened / dequantized into a cache-sized
// float32 tile and multiplied with one single-threaded sgemm, bands in parallel (OpenMP).
// A whole float32 copy of the weight never exists.
#pragma once

#include <cstddef>
#include <span>

#include "swan/inference/weight_matrix.h"

namespace swan::inference {

// x: [tokens, weight.cols()] row-major; y: [tokens, weight.rows()]; bias: empty or weight.rows().
void linear(const WeightMatrix& weight, std::span<const float> x, std::size_t tokens, std::span<float> y,
            std::span<const float> bias = {});

// While alive, OpenBLAS runs every call on the calling thread. swan parallelises with
// OpenMP around single-threaded sgemm calls; OpenBLAS's own (pthreads) pool would otherwise
// oversubscribe the cores or serialise concurrent calls. Restores the previous setting.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_threads_ = 1;
};

}  // namespace swan::inference
