#include "swan/analysis/spectral_concentration.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <functional>

#include "swan/core/error.h"

namespace swan::analysis {
namespace {

// Eigenvalues of a symmetric n x n float64 matrix (upper triangle, row-major), descending,
// negative round-off clipped to 0.
std::vector<double> symmetric_eigenvalues(std::vector<double>& gram, std::int64_t n) {
  std::vector<double> eigenvalues(static_cast<std::size_t>(n));
  const lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', static_cast<lapack_int>(n), gram.data(),
                                         static_cast<lapack_int>(n), eigenvalues.data());
  if (info != 0) fail("[svd] LAPACKE_dsyevd failed (info {}) on a {}x{} Gram matrix", info, n, n);
  for (double& v : eigenvalues) v = std::max(v, 0.0);
  std::sort(eigenvalues.begin(), eigenvalues.end(), std::greater<>());
  return eigenvalues;
}

// Orthonormalizes the columns of a column-major m x l matrix in place (Householder QR).
void orthonormalize(std::vector<float>& y, std::int64_t m, std::int64_t l) {
  std::vector<float> tau(static_cast<std::size_t>(l));
  const auto lm = static_cast<lapack_int>(m), ll = static_cast<lapack_int>(l);
  lapack_int info = LAPACKE_sgeqrf(LAPACK_COL_MAJOR, lm, ll, y.data(), lm, tau.data());
  if (info == 0) info = LAPACKE_sorgqr(LAPACK_COL_MAJOR, lm, ll, ll, y.data(), lm, tau.data());
  if (info != 0) fail("[svd] QR of a {}x{} sketch failed (info {})", m, l, info);
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
  const lapack_int info = LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'N', 'U', static_cast<lapack_int>(dim), gram.data(),
                                         static_cast<lapack_int>(dim), eigenvalues.data());
  if (info != 0) fail("[svd] LAPACKE_ssyevd failed (info {}) on a {}x{} Gram matrix", info, dim, dim);
  std::vector<double> values(eigenvalues.size());
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::max(0.0, static_cast<double>(eigenvalues[i]));
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

bool leading_svd_uses_gram(std::int64_t rows, std::int64_t cols, const RandomizedSvdOptions& options) {
  if (options.method != LeadingSvdMethod::automatic) return options.method == LeadingSvdMethod::gram;
  const double n = static_cast<double>(std::min(rows, cols)), m = static_cast<double>(std::max(rows, cols));
  const double l = std::min(static_cast<double>(kSvdRank + options.oversample), n);
  // Seconds on the bench machine, in units of one ssyrk flop (~100 GFLOP/s single core).
  const double gemms = 2.0 * (options.power_iterations + 1);
  const double gram = m * n * n + 4.4 * n * n * n;
  const double sketch =
      1.5 * (gemms * 2.0 * m * n * l + 4.0 * l * l * ((options.power_iterations + 1) * m + options.power_iterations * n));
  return gram <= sketch;
}

std::vector<double> leading_squared_singular_values(const MatrixView& t, std::int64_t k, Random& rng,
                                                    const RandomizedSvdOptions& options) {
  const std::int64_t m = t.rows, n = t.cols;
  const std::int64_t l = std::min(k + options.oversample, std::min(m, n));
  const int im = static_cast<int>(m), in = static_cast<int>(n), il = static_cast<int>(l);
  // T is row-major m x n, i.e. column-major T^T with leading dimension n.
  std::vector<float> omega(static_cast<std::size_t>(n * l));
  for (float& v : omega) v = static_cast<float>(rng.normal());
  std::vector<float> y(static_cast<std::size_t>(m * l));  // column-major m x l
  cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, im, il, in, 1.0f, t.data, in, omega.data(), in, 0.0f, y.data(),
              im);
  orthonormalize(y, m, l);
  std::vector<float>& z = omega;  // column-major n x l, reused
  for (int it = 0;; ++it) {
    cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, in, il, im, 1.0f, t.data, in, y.data(), im, 0.0f, z.data(),
                in);  // Z = T^T Q
    if (it == options.power_iterations) break;
    orthonormalize(z, n, l);
    cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, im, il, in, 1.0f, t.data, in, z.data(), in, 0.0f, y.data(),
                im);  // Y = T Z
    orthonormalize(y, m, l);
  }
  // Z = T^T Q = B^T; the singular values of B are the square roots of eig(Z^T Z).
  std::vector<double> z64(z.begin(), z.end());
  std::vector<double> gram(static_cast<std::size_t>(l * l), 0.0);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, il, in, 1.0, z64.data(), in, 0.0, gram.data(), il);
  // A symmetric matrix stored column-major upper is the row-major lower triangle.
  std::vector<double> eigen(static_cast<std::size_t>(l));
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', il, gram.data(), il, eigen.data());
  if (info != 0) fail("[svd] LAPACKE_dsyevd failed (info {}) on the {}x{} sketch", info, l, l);
  for (double& v : eigen) v = std::max(v, 0.0);
  std::sort(eigen.begin(), eigen.end(), std::greater<>());
  eigen.resize(static_cast<std::size_t>(std::min(k, l)));
  return eigen;
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

ConcentrationResult spectral_concentration(const MatrixView& t, Random& rng, const RandomizedSvdOptions& options) {
  ConcentrationResult result;
  const std::int64_t n = std::min(t.rows, t.cols);
  if (n == 0) return result;
  std::vector<double> values;
  if (n <= kExactSvdMaxDim) {
    values = squared_singular_values(t);
  } else if (leading_svd_uses_gram(t.rows, t.cols, options)) {
    result.randomized = true;
    values = squared_singular_values_f32(t);
    values.resize(static_cast<std::size_t>(kSvdRank));
  } else {
    result.randomized = true;
    result.sketched = true;
    values = leading_squared_singular_values(t, std::min(kSvdRank, n), rng, options);
  }
  result.values = static_cast<std::int64_t>(values.size());
  result.top_k = std::max<std::int64_t>(1, result.values / 10);
  for (const double v : values) result.energy += v;
  result.concentration = top_decile_energy(values);
  return result;
}

}  // namespace swan::analysis
