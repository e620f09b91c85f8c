// RMSNorm over rows, rows shared among threads.
#include "swan/inference/rms_norm.h"

#include <cmath>

#include "swan/core/error.h"
#include "swan/inference/parallel_threshold.h"

namespace swan::inference {

void rms_norm_row(const float* in, const float* weight, std::size_t width, float eps, float* y) {
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < width; ++i) sum += static_cast<double>(in[i]) * in[i];
  // transformers: hidden * rsqrt(variance + eps), variance in float32, then weight * that.
  const float variance = static_cast<float>(sum / static_cast<double>(width));
  const float inverse_rms = 1.0f / std::sqrt(variance + eps);
#pragma omp simd
  for (std::size_t i = 0; i < width; ++i) y[i] = weight[i] * (in[i] * inverse_rms);
}

void rms_norm_in_team(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out) {
  const std::size_t width = weight.size();
  SWAN_CHECK(width > 0 && x.size() % width == 0 && out.size() == x.size(), "rms_norm: {} values, width {}", x.size(),
             width);
  const std::size_t rows = x.size() / width;
#pragma omp for schedule(static)
  for (std::size_t r = 0; r < rows; ++r) rms_norm_row(x.data() + r * width, weight.data(), width, eps, out.data() + r * width);
}

void rms_norm(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out) {
  SWAN_CHECK(!weight.empty() && x.size() % weight.size() == 0 && out.size() == x.size(),
             "rms_norm: {} values, width {}", x.size(), weight.size());
#pragma omp parallel if (x.size() >= kParallelElementwiseMinValues)
  rms_norm_in_team(x, weight, eps, out);
}

}  // namespace swan::inference
