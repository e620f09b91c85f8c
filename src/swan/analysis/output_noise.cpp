#include "swan/analysis/output_noise.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace swan::analysis {
namespace {

void range_and_rms(const MatrixView& t, OutputNoiseResult& result) {
  const std::size_t n = t.size();
  if (n == 0) return;
  float lo = t.data[0], hi = t.data[0];
  double squares = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    lo = std::min(lo, t.data[i]);
    hi = std::max(hi, t.data[i]);
    squares += static_cast<double>(t.data[i]) * t.data[i];
  }
  result.range = static_cast<double>(hi - lo);  // float32 subtraction, as torch does
  result.rms = std::sqrt(squares / static_cast<double>(n));
}

}  // namespace

double analytic_delta(double range, double rms) {
  return range > 0.0 && rms > 0.0 ? range / (kNoiseLevels * std::sqrt(12.0) * rms) : 0.0;
}

OutputNoiseResult output_noise_analytic(const MatrixView& t) {
  OutputNoiseResult result;
  range_and_rms(t, result);
  result.delta = analytic_delta(result.range, result.rms);
  return result;
}

OutputNoiseResult output_noise_sampled(const MatrixView& t, Random& rng) {
  OutputNoiseResult result;
  range_and_rms(t, result);
  if (t.size() == 0) return result;
  const int rows = static_cast<int>(t.rows), cols = static_cast<int>(t.cols);
  const int probes = std::min(kNoiseProbes, cols);
  // Probes first, then the noise in row-major order: the reference's draw order.
  std::vector<float> x(static_cast<std::size_t>(cols) * probes);  // row-major cols x probes
  for (float& v : x) v = static_cast<float>(rng.normal());
  for (int j = 0; j < probes; ++j) {
    double norm = 0.0;
    for (int i = 0; i < cols; ++i) norm += static_cast<double>(x[i * probes + j]) * x[i * probes + j];
    const float scale = static_cast<float>(std::sqrt(norm) + 1e-8);
    for (int i = 0; i < cols; ++i) x[i * probes + j] /= scale;
  }
  const float step = static_cast<float>(result.range) / static_cast<float>(kNoiseLevels);
  const float half = step / 2.0f;
  // Row blocks keep the noisy copy small for large matrices.
  constexpr int kBlock = 256;
  std::vector<float> noisy(static_cast<std::size_t>(std::min(kBlock, rows)) * cols);
  std::vector<float> clean_out(static_cast<std::size_t>(kBlock) * probes), noisy_out(clean_out.size());
  double diff_squares = 0.0, clean_squares = 0.0;
  for (int r0 = 0; r0 < rows; r0 += kBlock) {
    const int block = std::min(kBlock, rows - r0);
    const float* src = t.row(r0);
    for (std::size_t i = 0; i < static_cast<std::size_t>(block) * cols; ++i)
      noisy[i] = src[i] + (rng.uniform_float() * step - half);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, block, probes, cols, 1.0f, src, cols, x.data(), probes,
                0.0f, clean_out.data(), probes);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, block, probes, cols, 1.0f, noisy.data(), cols, x.data(),
                probes, 0.0f, noisy_out.data(), probes);
    for (std::size_t i = 0; i < static_cast<std::size_t>(block) * probes; ++i) {
      const float d = noisy_out[i] - clean_out[i];
      diff_squares += static_cast<double>(d) * d;
      clean_squares += static_cast<double>(clean_out[i]) * clean_out[i];
    }
  }
  result.delta = std::sqrt(diff_squares) / (std::sqrt(clean_squares) + 1e-8);
  return result;
}

}  // namespace swan::analysis
