// The reference's randomized SVD estimator (range_finder.h) against a naive, independent
// transcription of torch 1.13's svd_lowrank in plain loops (modified Gram-Schmidt instead of
// Householder, Jacobi eigenvalues instead of LAPACK), on matrices with a known spectrum:
//  * same Gaussian draws, same orientation -> the same values (tall matrix);
//  * the spectrum route on a diagonal matrix is the matrix route with the same draws;
//  * on a rotated wide matrix, where swan flips the orientation and the spectrum and Gram
//    routes draw different Gaussians, the means over seeds agree within four standard
//    errors, and all sit far above the exact ratio (the bias being reproduced);
//  * on a tall matrix the Gram route has torch's mean too.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "swan/analysis/range_finder.h"
#include "swan/analysis/spectral_concentration.h"

namespace swan::analysis {
namespace {

using Dense = std::vector<double>;  // column-major

double& at(Dense& a, int rows, int r, int c) { return a[static_cast<std::size_t>(c) * rows + r]; }
double at(const Dense& a, int rows, int r, int c) { return a[static_cast<std::size_t>(c) * rows + r]; }

// C (rows x cols) = op(A) B, A stored column-major with `a_rows` rows.
Dense multiply(const Dense& a, int a_rows, int a_cols, bool transpose_a, const Dense& b, int b_cols) {
  const int rows = transpose_a ? a_cols : a_rows, inner = transpose_a ? a_rows : a_cols;
  Dense c(static_cast<std::size_t>(rows) * b_cols, 0.0);
  for (int j = 0; j < b_cols; ++j)
    for (int i = 0; i < rows; ++i) {
      double sum = 0;
      for (int k = 0; k < inner; ++k)
        sum += (transpose_a ? at(a, a_rows, k, i) : at(a, a_rows, i, k)) * at(b, inner, k, j);
      at(c, rows, i, j) = sum;
    }
  return c;
}

// Modified Gram-Schmidt, twice for full orthogonality: an orthonormal basis of the columns.
Dense orthonormal(Dense x, int rows, int cols) {
  for (int pass = 0; pass < 2; ++pass)
    for (int j = 0; j < cols; ++j) {
      for (int k = 0; k < j; ++k) {
        double dot = 0;
        for (int i = 0; i < rows; ++i) dot += at(x, rows, i, k) * at(x, rows, i, j);
        for (int i = 0; i < rows; ++i) at(x, rows, i, j) -= dot * at(x, rows, i, k);
      }
      double norm = 0;
      for (int i = 0; i < rows; ++i) norm += at(x, rows, i, j) * at(x, rows, i, j);
      norm = std::sqrt(norm);
      for (int i = 0; i < rows; ++i) at(x, rows, i, j) /= norm;
    }
  return x;
}

// Eigenvalues of a symmetric n x n matrix by cyclic Jacobi rotations, descending.
std::vector<double> jacobi_eigenvalues(Dense a, int n) {
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) off += at(a, n, p, q) * at(a, n, p, q);
    if (off < 1e-30) break;
    for (int p = 0; p < n; ++p)
      for (int q = p + 1; q < n; ++q) {
        const double apq = at(a, n, p, q);
        if (std::abs(apq) < 1e-300) continue;
        const double theta = (at(a, n, q, q) - at(a, n, p, p)) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < n; ++k) {  // columns p, q
          const double akp = at(a, n, k, p), akq = at(a, n, k, q);
          at(a, n, k, p) = c * akp - s * akq;
          at(a, n, k, q) = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {  // rows p, q
          const double apk = at(a, n, p, k), aqk = at(a, n, q, k);
          at(a, n, p, k) = c * apk - s * aqk;
          at(a, n, q, k) = s * apk + c * aqk;
        }
      }
  }
  std::vector<double> values(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) values[static_cast<std::size_t>(i)] = std::max(0.0, at(a, n, i, i));
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

// torch 1.13 _svd_lowrank for n > q, line by line: R = randn(m, q) (column-major from the
// stream, rounded to float32 as swan's sketch is), Q = qr(A^T R).Q, niter x {Q = qr(A Q).Q;
// Q = qr(A^T Q).Q}, squared singular values of A Q.
std::vector<double> naive_svd_lowrank(const Dense& a, int m, int n, int q, int niter, Random& rng) {
  std::vector<float> draws(static_cast<std::size_t>(m) * q);
  rng.fill_normal(std::span<float>(draws));
  const Dense r(draws.begin(), draws.end());
  Dense basis = orthonormal(multiply(a, m, n, true, r, q), n, q);
  for (int i = 0; i < niter; ++i) {
    basis = orthonormal(multiply(a, m, n, false, basis, q), m, q);
    basis = orthonormal(multiply(a, m, n, true, basis, q), n, q);
  }
  const Dense b = multiply(a, m, n, false, basis, q);  // m x q
  return jacobi_eigenvalues(multiply(b, m, q, true, b, q), q);
}

// Column-major A = U diag(sigma) V^T with Haar-like orthonormal U (m x r), V (n x r).
Dense with_spectrum(int m, int n, const std::vector<double>& sigma, std::uint64_t seed) {
  const int r = static_cast<int>(sigma.size());
  Random rng(seed);
  Dense u(static_cast<std::size_t>(m) * r), v(static_cast<std::size_t>(n) * r);
  rng.fill_normal(u);
  rng.fill_normal(v);
  u = orthonormal(u, m, r);
  v = orthonormal(v, n, r);
  for (int j = 0; j < r; ++j)
    for (int i = 0; i < m; ++i) at(u, m, i, j) *= sigma[static_cast<std::size_t>(j)];
  Dense a(static_cast<std::size_t>(m) * n, 0.0);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double sum = 0;
      for (int k = 0; k < r; ++k) sum += at(u, m, i, k) * at(v, n, j, k);
      at(a, m, i, j) = sum;
    }
  return a;
}

// Row-major float32 copy, as the analysis holds T.
std::vector<float> row_major(const Dense& a, int m, int n) {
  std::vector<float> out(static_cast<std::size_t>(m) * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) out[static_cast<std::size_t>(i) * n + j] = static_cast<float>(at(a, m, i, j));
  return out;
}

// A slowly decaying spectrum: the tail of the q values is under-resolved after two power
// iterations, which is where the reference's bias comes from.
std::vector<double> decaying_spectrum(int r) {
  std::vector<double> sigma(static_cast<std::size_t>(r));
  for (int i = 0; i < r; ++i) sigma[static_cast<std::size_t>(i)] = 1.0 / std::sqrt(1.0 + 0.3 * i);
  return sigma;
}

constexpr int kColumns = 20;  // top 2 of 20, as SWAN takes the top 25 of 256
const RangeFinderOptions kOptions{kColumns, 2};

double ratio(const std::vector<double>& squared) { return *top_decile_energy(squared); }

TEST(RangeFinder, MatrixRouteIsTorchsAlgorithmOnATallMatrix) {
  const int m = 70, n = 50;
  const auto sigma = decaying_spectrum(n);
  const Dense a = with_spectrum(m, n, sigma, 11);
  const std::vector<float> t = row_major(a, m, n);
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Random ours(seed), naive(seed);
    const auto fast = range_finder_on_matrix({t.data(), m, n}, kOptions, ours);
    const auto slow = naive_svd_lowrank(a, m, n, kColumns, 2, naive);
    ASSERT_EQ(fast.size(), slow.size());
    for (std::size_t i = 0; i < fast.size(); ++i) EXPECT_NEAR(fast[i], slow[i], 2e-5 * slow[0]) << i;
    EXPECT_NEAR(ratio(fast), ratio(slow), 1e-5);
  }
}

TEST(RangeFinder, SpectrumRouteIsTheMatrixRouteOnADiagonalMatrix) {
  // A = diag(sigma): U = V = I, so the spectrum route's Gaussian is the matrix route's.
  const int n = 60;
  const auto sigma = decaying_spectrum(n);
  std::vector<float> t(static_cast<std::size_t>(n) * n, 0.0f);
  std::vector<double> squared(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    t[static_cast<std::size_t>(i) * n + i] = static_cast<float>(sigma[static_cast<std::size_t>(i)]);
    squared[static_cast<std::size_t>(i)] = sigma[static_cast<std::size_t>(i)] * sigma[static_cast<std::size_t>(i)];
  }
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    Random a(seed), b(seed);
    const auto on_matrix = range_finder_on_matrix({t.data(), n, n}, kOptions, a);
    const auto on_spectrum = range_finder_on_spectrum(squared, kOptions, b);
    ASSERT_EQ(on_matrix.size(), on_spectrum.size());
    EXPECT_NEAR(ratio(on_matrix), ratio(on_spectrum), 1e-5);
    EXPECT_NEAR(on_matrix.back(), on_spectrum.back(), 1e-5);
  }
}

struct Moments {
  double mean = 0, standard_error = 0;
};

Moments over_seeds(int seeds, std::uint64_t first, const std::function<double(Random&)>& draw) {
  double sum = 0, sum2 = 0;
  for (int s = 0; s < seeds; ++s) {
    Random rng(first + static_cast<std::uint64_t>(s));
    const double x = draw(rng);
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / seeds;
  return {mean, std::sqrt(std::max(0.0, sum2 / seeds - mean * mean) / seeds)};
}

TEST(RangeFinder, EveryRouteHasTorchsExpectationOnAWideMatrix) {
  const int m = 40, n = 64, seeds = 300;  // wide: swan sketches A^T's side first, torch A's
  const auto sigma = decaying_spectrum(m);
  const Dense a = with_spectrum(m, n, sigma, 5);
  const std::vector<float> t = row_major(a, m, n);
  std::vector<double> squared;
  for (const double s : sigma) squared.push_back(s * s);
  const double exact = ratio(std::vector<double>(squared.begin(), squared.begin() + kColumns));

  const Moments torch = over_seeds(seeds, 1000, [&](Random& r) { return ratio(naive_svd_lowrank(a, m, n, kColumns, 2, r)); });
  const Moments matrix = over_seeds(seeds, 2000, [&](Random& r) { return ratio(range_finder_on_matrix({t.data(), m, n}, kOptions, r)); });
  const Moments spectrum = over_seeds(seeds, 3000, [&](Random& r) { return ratio(range_finder_on_spectrum(squared, kOptions, r)); });
  const Moments gram = over_seeds(seeds, 4000, [&](Random& r) { return ratio(range_finder_on_gram({t.data(), m, n}, kOptions, r)); });
  const auto agree = [](const Moments& x, const Moments& y) {
    return std::abs(x.mean - y.mean) <= 4 * std::hypot(x.standard_error, y.standard_error);
  };
  EXPECT_TRUE(agree(torch, matrix)) << torch.mean << " vs " << matrix.mean;
  EXPECT_TRUE(agree(torch, spectrum)) << torch.mean << " vs " << spectrum.mean;
  EXPECT_TRUE(agree(torch, gram)) << torch.mean << " vs " << gram.mean;
  // The bias is resolved: the exact ratio is many standard errors below the estimator's mean.
  EXPECT_GT(torch.mean - exact, 20 * torch.standard_error) << torch.mean << " exact " << exact;
}

TEST(RangeFinder, GramRouteHasTorchsExpectationOnATallMatrix) {
  // Tall with a few strong directions (an outlier-heavy spectrum, the float32 Cholesky
  // factor's hardest case): the Gram route's first product L Z has the distribution of
  // torch's A^T R.
  const int m = 90, n = 48, seeds = 300;
  std::vector<double> sigma = decaying_spectrum(n);
  for (int i = 0; i < 3; ++i) sigma[static_cast<std::size_t>(i)] *= 30.0;
  const Dense a = with_spectrum(m, n, sigma, 8);
  const std::vector<float> t = row_major(a, m, n);
  const Moments torch = over_seeds(seeds, 5000, [&](Random& r) { return ratio(naive_svd_lowrank(a, m, n, kColumns, 2, r)); });
  const Moments gram = over_seeds(seeds, 6000, [&](Random& r) { return ratio(range_finder_on_gram({t.data(), m, n}, kOptions, r)); });
  EXPECT_LE(std::abs(torch.mean - gram.mean), 4 * std::hypot(torch.standard_error, gram.standard_error))
      << torch.mean << " vs " << gram.mean;
}

TEST(RangeFinder, SameSeedSameValues) {
  std::vector<double> squared;
  for (const double s : decaying_spectrum(50)) squared.push_back(s * s);
  Random a(9), b(9), c(10);
  const auto first = range_finder_on_spectrum(squared, kOptions, a);
  EXPECT_EQ(range_finder_on_spectrum(squared, kOptions, b), first);
  EXPECT_NE(range_finder_on_spectrum(squared, kOptions, c), first);
}

}  // namespace
}  // namespace swan::analysis
