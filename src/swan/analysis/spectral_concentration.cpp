#include "swan/analysis/spectral_concentration.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <functional>

#include "swan/core/error.h"

namespace swan::analysis {
namespace {

// Eigenvalues of a symmetric n x n float64 matrix (upper triangle, row-major), descending,
// negative round-off clipped to 0. A row-major upper triangle is a column-major lower one:
// passed as such, LAPACKE does not transpose the matrix into a copy first.
std::vector<double> symmetric_eigenvalues(std::vector<double>& gram, std::int64_t n) {
  std::vector<double> eigenvalues(static_cast<std::size_t>(n));
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'L', static_cast<lapack_int>(n), gram.data(),
                                         static_cast<lapack_int>(n), eigenvalues.data());
  if (info != 0) fail("[svd] LAPACKE_dsyevd failed (info {}) on a {}x{} Gram matrix", info, n, n);
  for (double& v : eigenvalues) v = std::max(v, 0.0);
  std::sort(eigenvalues.begin(), eigenvalues.end(), std::greater<>());
  return eigenvalues;
}

}  // namespace

std::vector<double> squared_singular_values(const MatrixView& t) {
  const std::int64_t m = t.rows, n = t.cols;
  const bool tall = m >= n;
  const std::int64_t dim = tall ? n : m;
  std::vector<double> gram(static_cast<std::size_t>(dim * dim), 0.0);
  // Accumulate the Gram matrix of float64 copies of row (or column) blocks so memory stays
  // bounded for a [512, 150000] embedding.
  constexpr std::int64_t kBlock = 2048;
  if (tall) {  // G = T^T T, blocks of rows
    std::vector<double> block(static_cast<std::size_t>(std::min(kBlock, m) * n));
    for (std::int64_t r0 = 0; r0 < m; r0 += kBlock) {
      const std::int64_t rows = std::min(kBlock, m - r0);
      std::copy(t.row(r0), t.row(r0) + rows * n, block.begin());
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(n), static_cast<int>(rows), 1.0,
                  block.data(), static_cast<int>(n), 1.0, gram.data(), static_cast<int>(n));
    }
  } else {  // G = T T^T, blocks of columns
    const std::int64_t width = std::min(kBlock, n);
    std::vector<double> block(static_cast<std::size_t>(m * width));
    for (std::int64_t c0 = 0; c0 < n; c0 += kBlock) {
      const std::int64_t cols = std::min(kBlock, n - c0);
      for (std::int64_t r = 0; r < m; ++r) std::copy(t.row(r) + c0, t.row(r) + c0 + cols, block.begin() + r * cols);
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(m), static_cast<int>(cols), 1.0,
                  block.data(), static_cast<int>(cols), 1.0, gram.data(), static_cast<int>(m));
    }
  }
  return symmetric_eigenvalues(gram, dim);
}

std::vector<double> squared_singular_values_f32(const MatrixView& t) {
  const std::int64_t m = t.rows, n = t.cols;
  const bool tall = m >= n;
  const std::int64_t dim = tall ? n : m;
  // T is used in place: row-major T is T^T column-major, so one ssyrk gives either Gram.
  std::vector<float> gram(static_cast<std::size_t>(dim * dim), 0.0f);
  cblas_ssyrk(CblasRowMajor, CblasUpper, tall ? CblasTrans : CblasNoTrans, static_cast<int>(dim),
              static_cast<int>(tall ? m : n), 1.0f, t.data, static_cast<int>(n), 0.0f, gram.data(),
              static_cast<int>(dim));
  std::vector<float> eigenvalues(static_cast<std::size_t>(dim));
  // Row-major upper = column-major lower (no transposed copy, as in symmetric_eigenvalues).
  const lapack_int info = LAPACKE_ssyevd(LAPACK_COL_MAJOR, 'N', 'L', static_cast<lapack_int>(dim), gram.data(),
                                         static_cast<lapack_int>(dim), eigenvalues.data());
  if (info != 0) fail("[svd] LAPACKE_ssyevd failed (info {}) on a {}x{} Gram matrix", info, dim, dim);
  std::vector<double> values(eigenvalues.size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::max(0.0, static_cast<double>(eigenvalues[i]));
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

std::string_view svd_estimator_name(SvdEstimator estimator) {
  return estimator == SvdEstimator::exact ? "exact" : "sketch";
}

SvdEstimator parse_svd_estimator(std::string_view name) {
  if (name == "sketch") return SvdEstimator::sketch;
  if (name == "exact") return SvdEstimator::exact;
  fail("unknown SVD estimator '{}': expected 'sketch' (the reference's torch.svd_lowrank estimate) or 'exact'", name);
}

SketchRoute cheapest_sketch_route(std::int64_t rows, std::int64_t cols, const RangeFinderOptions& options) {
  const double n = static_cast<double>(std::min(rows, cols)), m = static_cast<double>(std::max(rows, cols));
  const double q = std::min(static_cast<double>(options.columns), n);
  const double products = 2.0 * (options.power_iterations + 1);
  const double orthonormalizations = options.power_iterations + 1;
  const double spectrum = m * n * n + 4.4 * n * n * n + 8.0 * orthonormalizations * n * q * q;
  const double matrix = 1.2 * products * 2.0 * m * n * q + 3.3 * (options.power_iterations * 0.5 + 1) * n * q * q;
  const double gram = m * n * n + 1.0 * n * n * n + (2.0 * (options.power_iterations + 1) + 1) * n * n * q +
                      (4.0 * options.power_iterations + 10.0) * n * q * q + 4.4 * q * q * q;
  if (matrix <= gram && matrix <= spectrum) return SketchRoute::matrix;
  return gram <= spectrum ? SketchRoute::gram : SketchRoute::spectrum;
}

std::optional<double> top_decile_energy(const std::vector<double>& squared_values) {
  double energy = 0.0;
  for (const double v : squared_values) energy += v;
  if (energy < 1e-12) return std::nullopt;
  const std::size_t top = std::max<std::size_t>(1, squared_values.size() / 10);
  double head = 0.0;
  for (std::size_t i = 0; i < top; ++i) head += squared_values[i];
  return std::min(1.0, head / energy);
}

ConcentrationResult spectral_concentration(const MatrixView& t, Random& rng, const SvdOptions& options) {
  ConcentrationResult result;
  const std::int64_t n = std::min(t.rows, t.cols);
  if (n == 0) return result;
  std::vector<double> values;
  if (n <= kExactSvdMaxDim) {
    values = squared_singular_values(t);
    result.concentration = result.exact_concentration = top_decile_energy(values);
  } else {
    result.leading = true;
    const bool sketch = options.estimator == SvdEstimator::sketch;
    const SketchRoute route = !sketch ? SketchRoute::spectrum
                              : options.route == SketchRoute::automatic
                                  ? cheapest_sketch_route(t.rows, t.cols, options.sketch)
                                  : options.route;
    if (route == SketchRoute::matrix) {
      values = range_finder_on_matrix(t, options.sketch, rng);
    } else if (route == SketchRoute::gram) {
      values = range_finder_on_gram(t, options.sketch, rng);
    } else {
      values = squared_singular_values_f32(t);
      std::vector<double> leading(values.begin(), values.begin() + std::min<std::int64_t>(kSvdRank, n));
      result.exact_concentration = top_decile_energy(leading);
      if (sketch) values = range_finder_on_spectrum(values, options.sketch, rng);
      else values = std::move(leading);
    }
    result.sketched = sketch;
    result.sketch_route = sketch ? route : SketchRoute::automatic;
    result.concentration = top_decile_energy(values);
  }
  result.values = static_cast<std::int64_t>(values.size());
  result.top_k = std::max<std::int64_t>(1, result.values / 10);
  for (const double v : values) result.energy += v;
  return result;
}

}  // namespace swan::analysis
