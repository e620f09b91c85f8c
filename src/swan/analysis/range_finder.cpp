#include "swan/analysis/range_finder.h"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "swan/core/error.h"

namespace swan::analysis {
namespace {

// Replaces the columns of a column-major rows x cols matrix by an orthonormal basis of
// their span (Householder QR, explicit Q), as torch.linalg.qr(X).Q does.
void orthonormalize(std::vector<double>& x, std::int64_t rows, std::int64_t cols) {
  std::vector<double> tau(static_cast<std::size_t>(cols));
  const auto lr = static_cast<lapack_int>(rows), lc = static_cast<lapack_int>(cols);
  lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, lr, lc, x.data(), lr, tau.data());
  if (info == 0) info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, lr, lc, lc, x.data(), lr, tau.data());
  if (info != 0) fail("[svd] QR of a {}x{} sketch failed (info {})", rows, cols, info);
}

// Whether a Cholesky factor's diagonal (cols x cols, column-major) is finite and stays within
// `ratio` of its largest entry: the guard of the Cholesky QRs below.
template <typename T>
bool diagonal_within(const std::vector<T>& r, std::int64_t cols, T ratio) {
  T largest = 0, smallest = INFINITY;
  for (std::int64_t i = 0; i < cols; ++i) {
    const T d = std::abs(r[static_cast<std::size_t>(i * cols + i)]);
    largest = std::max(largest, d);
    smallest = std::min(smallest, d);
  }
  return std::isfinite(largest) && smallest > ratio * largest;
}

// orthonormalize() by Cholesky QR (X = Q R with R from chol(X^T X), Q = X R^-1): two BLAS-3
// calls instead of Householder's panel factorisation, ~5x faster for 896 x 256. It squares
// X's condition number, so it is used only while R's diagonal stays within 1e-5 of its
// largest entry (then orthogonality is kept to ~1e-6, far below what the ratio needs);
// otherwise Householder QR from the untouched X.
void orthonormalize_fast(std::vector<double>& x, std::int64_t rows, std::int64_t cols) {
  const int ir = static_cast<int>(rows), ic = static_cast<int>(cols);
  std::vector<double> r(static_cast<std::size_t>(cols * cols), 0.0);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, ic, ir, 1.0, x.data(), ir, 0.0, r.data(), ic);
  const bool usable = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', ic, r.data(), ic) == 0 && diagonal_within(r, cols, 1e-5);
  if (!usable) return orthonormalize(x, rows, cols);
  cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, ir, ic, 1.0, r.data(), ic, x.data(),
              ir);
}

// The float32 basis of the matrix route through orthonormalize_fast in float64.
void orthonormalize_small(std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
  std::vector<double> wide(x.begin(), x.end());
  orthonormalize_fast(wide, rows, cols);
  std::transform(wide.begin(), wide.end(), x.begin(), [](double v) { return static_cast<float>(v); });
}

// The intermediate bases only carry a span to the next product: they need a basis that is
// well conditioned, not orthonormal to float64 precision. Float32 Cholesky QR gives that at
// a quarter of the float64 version's cost; where R's diagonal spreads beyond 1e-2 (the
// span's columns close to dependent, when float32's squared condition number would lose
// them) the float64 path takes over.
void condition_basis(std::vector<float>& x, std::int64_t rows, std::int64_t cols) {
  const int ir = static_cast<int>(rows), ic = static_cast<int>(cols);
  std::vector<float> r(static_cast<std::size_t>(cols * cols), 0.0f);
  cblas_ssyrk(CblasColMajor, CblasUpper, CblasTrans, ic, ir, 1.0f, x.data(), ir, 0.0f, r.data(), ic);
  const bool usable = LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'U', ic, r.data(), ic) == 0 && diagonal_within(r, cols, 1e-2f);
  if (!usable) return orthonormalize_small(x, rows, cols);
  cblas_strsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, ir, ic, 1.0f, r.data(), ic, x.data(),
              ir);
}

// Eigenvalues of the q x q column-major Gram matrix (upper triangle filled), descending and
// clipped at 0: the squared singular values of the matrix it came from.
std::vector<double> gram_eigenvalues(std::vector<double>& gram, std::int64_t q) {
  std::vector<double> values(static_cast<std::size_t>(q));
  const lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', static_cast<lapack_int>(q), gram.data(),
                                         static_cast<lapack_int>(q), values.data());
  if (info != 0) fail("[svd] LAPACKE_dsyevd failed (info {}) on the {}x{} projected matrix", info, q, q);
  for (double& v : values) v = std::max(v, 0.0);
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

// The squared singular values of M Q, given P = (M Q)^T (M Q) (q x q, column-major, upper
// triangle used) and the float32 basis Q that spans the sketch but is orthonormal only to
// float32 Cholesky QR's accuracy: the eigenvalues of P relative to Q^T Q (P x = lambda
// Q^T Q x, which for an exactly orthonormal Q is P's own), so Q's loss of orthogonality
// leaves the values instead of needing a float64 QR first.
std::vector<double> eigenvalues_relative_to_basis(std::vector<float> p, const std::vector<float>& basis,
                                                  std::int64_t rows, std::int64_t q) {
  const int ir = static_cast<int>(rows), iq = static_cast<int>(q);
  std::vector<float> overlap(static_cast<std::size_t>(q * q), 0.0f);
  cblas_ssyrk(CblasColMajor, CblasUpper, CblasTrans, iq, ir, 1.0f, basis.data(), ir, 0.0f, overlap.data(), iq);
  // In float32 like the products P and Q^T Q come from (and like torch's float32 SVD).
  std::vector<float> eigenvalues(static_cast<std::size_t>(q));
  const lapack_int info =
      LAPACKE_ssygvd(LAPACK_COL_MAJOR, 1, 'N', 'U', iq, p.data(), iq, overlap.data(), iq, eigenvalues.data());
  if (info != 0) fail("[svd] LAPACKE_ssygvd failed (info {}) on the {}x{} projected matrix", info, q, q);
  std::vector<double> values(eigenvalues.size());
  std::transform(eigenvalues.begin(), eigenvalues.end(), values.begin(),
                 [](float v) { return std::max(0.0, static_cast<double>(v)); });
  std::sort(values.begin(), values.end(), std::greater<>());
  return values;
}

// The large buffers of one thread's sketches, kept from matrix to matrix: fresh
// multi-megabyte vectors cost page faults and the kernel's zeroing on every call (0.5 of the
// 0.7 system CPU-s of analysing the 0.49 B benchmark model). Exactly sized on each use, so
// their capacity is the largest sketch the thread has run.
struct SketchBuffers {
  std::vector<float> gram, factor, basis, product;
};

SketchBuffers& thread_buffers() {
  thread_local SketchBuffers buffers;
  return buffers;
}

void fill_gaussian(std::vector<float>& buffer, std::size_t size, Random& rng) {
  buffer.resize(size);
  rng.fill_normal(std::span<float>(buffer));
}

}  // namespace

std::vector<double> range_finder_on_matrix(const MatrixView& a, const RangeFinderOptions& options, Random& rng) {
  // M = A when A is tall, A^T when it is wide: M is large x small, and the three QRs of the
  // small side's basis (first, and after each A^T product) are the cheap ones.
  const bool tall = a.rows >= a.cols;
  const std::int64_t large = tall ? a.rows : a.cols, small = tall ? a.cols : a.rows;
  const std::int64_t q = std::min(options.columns, small);
  // Row-major A is column-major A^T with leading dimension cols.
  const CBLAS_TRANSPOSE to_small = tall ? CblasNoTrans : CblasTrans;  // M^T X: large x q -> small x q
  const CBLAS_TRANSPOSE to_large = tall ? CblasTrans : CblasNoTrans;  // M X: small x q -> large x q
  const int il = static_cast<int>(large), is = static_cast<int>(small), iq = static_cast<int>(q);
  const int lda = static_cast<int>(a.cols);

  SketchBuffers& buffers = thread_buffers();
  std::vector<float>& on_large = buffers.product;  // column-major large x q
  fill_gaussian(on_large, static_cast<std::size_t>(large * q), rng);
  std::vector<float>& on_small = buffers.basis;
  on_small.resize(static_cast<std::size_t>(small * q));
  const auto product_to_small = [&] {
    cblas_sgemm(CblasColMajor, to_small, CblasNoTrans, is, iq, il, 1.0f, a.data, lda, on_large.data(), il, 0.0f,
                on_small.data(), is);
  };
  const auto product_to_large = [&] {
    cblas_sgemm(CblasColMajor, to_large, CblasNoTrans, il, iq, is, 1.0f, a.data, lda, on_small.data(), is, 0.0f,
                on_large.data(), il);
  };
  // torch orthonormalizes after every product; only the span reaches the result and the
  // span of M^T qr(M X) is that of M^T M X, so the large side's QRs (the expensive ones) are
  // skipped: same values to rounding, as range_finder_test checks against torch's order.
  product_to_small();  // M^T R
  for (int i = 0; i < options.power_iterations; ++i) {
    condition_basis(on_small, small, q);
    product_to_large();
    product_to_small();
  }
  condition_basis(on_small, small, q);
  product_to_large();  // B = M Q, large x q
  // Its singular values squared are the eigenvalues of B^T B (float32 products like torch's
  // float32 SVD; the ratio SWAN takes needs nowhere near float32's precision).
  std::vector<float> gram32(static_cast<std::size_t>(q * q), 0.0f);
  cblas_ssyrk(CblasColMajor, CblasUpper, CblasTrans, iq, il, 1.0f, on_large.data(), il, 0.0f, gram32.data(), iq);
  return eigenvalues_relative_to_basis(std::move(gram32), on_small, small, q);
}

std::vector<double> range_finder_on_gram(const MatrixView& a, const RangeFinderOptions& options, Random& rng) {
  const bool tall = a.rows >= a.cols;
  const std::int64_t large = tall ? a.rows : a.cols, small = tall ? a.cols : a.rows;
  const std::int64_t q = std::min(options.columns, small);
  const int is = static_cast<int>(small), iq = static_cast<int>(q);
  // G = M^T M, small x small: row-major upper triangle = column-major lower triangle.
  SketchBuffers& buffers = thread_buffers();
  std::vector<float>& gram = buffers.gram;
  gram.resize(static_cast<std::size_t>(small * small));
  cblas_ssyrk(CblasRowMajor, CblasUpper, tall ? CblasTrans : CblasNoTrans, is, static_cast<int>(large), 1.0f, a.data,
              static_cast<int>(a.cols), 0.0f, gram.data(), is);
  // The first product M^T R (R a large x q Gaussian) has i.i.d. N(0, G) columns; so has L Z
  // with G = L L^T and Z a small x q Gaussian, at small^2 q / 2 work instead of large small q.
  std::vector<float>& basis = buffers.basis;  // column-major small x q
  fill_gaussian(basis, static_cast<std::size_t>(small * q), rng);
  std::vector<float>& factor = buffers.factor;
  factor.assign(gram.begin(), gram.end());
  if (LAPACKE_spotrf_work(LAPACK_COL_MAJOR, 'L', is, factor.data(), is) != 0)
    return range_finder_on_matrix(a, options, rng);  // G singular to float32 (rank-deficient M)
  cblas_strmm(CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, is, iq, 1.0f, factor.data(), is,
              basis.data(), is);
  std::vector<float>& product = buffers.product;
  product.resize(basis.size());
  const auto times_gram = [&] {  // product = G basis
    cblas_ssymm(CblasColMajor, CblasLeft, CblasLower, is, iq, 1.0f, gram.data(), is, basis.data(), is, 0.0f,
                product.data(), is);
  };
  // Each pair of products M^T (M X) of the matrix route is one product G X.
  for (int i = 0; i < options.power_iterations; ++i) {
    condition_basis(basis, small, q);
    times_gram();
    basis.swap(product);
  }
  condition_basis(basis, small, q);
  // The values: squared singular values of M Q, the eigenvalues of Q^T G Q.
  times_gram();
  std::vector<float> projected(static_cast<std::size_t>(q * q), 0.0f);
  cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, iq, iq, is, 1.0f, basis.data(), is, product.data(), is, 0.0f,
              projected.data(), iq);
  for (std::int64_t c = 0; c < q; ++c)  // upper triangle, averaged with the lower against rounding
    for (std::int64_t r = 0; r < c; ++r) {
      float& upper = projected[static_cast<std::size_t>(c * q + r)];
      upper = 0.5f * (upper + projected[static_cast<std::size_t>(r * q + c)]);
    }
  return eigenvalues_relative_to_basis(std::move(projected), basis, small, q);
}

std::vector<double> range_finder_on_spectrum(std::span<const double> squared_singular_values,
                                             const RangeFinderOptions& options, Random& rng) {
  const auto r = static_cast<std::int64_t>(squared_singular_values.size());
  const std::int64_t q = std::min(options.columns, r);
  std::vector<double> sigma(static_cast<std::size_t>(r));
  for (std::int64_t i = 0; i < r; ++i)
    sigma[static_cast<std::size_t>(i)] = std::sqrt(std::max(0.0, squared_singular_values[static_cast<std::size_t>(i)]));
  // basis <- S^power basis: `power` products with A or A^T, seen in singular-vector coordinates.
  std::vector<double> basis(static_cast<std::size_t>(r * q));  // column-major r x q
  const auto scale = [&](int power) {
    for (std::int64_t c = 0; c < q; ++c) {
      double* column = basis.data() + c * r;
      for (std::int64_t i = 0; i < r; ++i) {
        const double s = sigma[static_cast<std::size_t>(i)];
        column[i] *= power == 1 ? s : s * s;
      }
    }
  };
  rng.fill_normal(basis);  // G = U^T R
  // torch orthonormalizes after each of the 2 niter + 1 products; only the span reaches the
  // result, and the span of S qr(S X) is that of S^2 X, so one orthonormalization per pair
  // of products gives the same values (to rounding) at half the QRs.
  scale(1);
  orthonormalize_fast(basis, r, q);
  for (int i = 0; i < options.power_iterations; ++i) {
    scale(2);
    orthonormalize_fast(basis, r, q);
  }
  scale(1);  // B = S Q
  std::vector<double> gram(static_cast<std::size_t>(q * q), 0.0);
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, static_cast<int>(q), static_cast<int>(r), 1.0, basis.data(),
              static_cast<int>(r), 0.0, gram.data(), static_cast<int>(q));
  return gram_eigenvalues(gram, q);
}

}  // namespace swan::analysis
