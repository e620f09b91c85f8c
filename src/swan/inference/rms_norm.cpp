// RMSNorm over rows, parallel over rows.
#include "swan/inference/rms_norm.h"

#include <cmath>

#include "swan/core/error.h"
#include "swan/inference/parallel_threshold.h"

namespace swan::inference {

void rms_norm(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out) {
  const std::size_t width = weight.size();
  SWAN_CHECK(width > 0 && x.size() % width == 0 && out.size() == x.size(), "rms_norm: {} values, width {}", x.size(),
             width);
  const std::size_t rows = x.size() / width;
#pragma omp parallel for schedule(static) if (rows * width >= kParallelElementwiseMinValues)
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = x.data() + r * width;
    float* y = out.data() + r * width;
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (std::size_t i = 0; i < width; ++i) sum += static_cast<double>(in[i]) * in[i];
    // transformers: hidden * rsqrt(variance + eps), variance in float32, then weight * that.
    const float variance = static_cast<float>(sum / static_cast<double>(width));
    const float inverse_rms = 1.0f / std::sqrt(variance + eps);
#pragma omp simd
    for (std::size_t i = 0; i < width; ++i) y[i] = weight[i] * (in[i] * inverse_rms);
  }
}

}  // namespace swan::inference
