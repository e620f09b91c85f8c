// The reference's randomized estimate of a matrix's leading singular values, as
// `torch.svd_lowrank(A, q, niter)` computes it in torch 1.13 (Debian's python3-torch, which
// the reference runs on; torch/_lowrank.py, Halko et al. 2009 Algorithms 4.4 and 5.1). For
// A of m x n with n > q it sketches the row space:
//   R = randn(m, q)                        Gaussian test matrix
//   Q = qr(A^T R).Q                        n x q
//   niter times: Q = qr(A Q).Q; Q = qr(A^T Q).Q
//   return the singular values of A Q      (m x q; the q leading values, biased low)
// SWAN's spectral metric takes the top 25 of those 256 values over the energy of the 256, so
// the ratio comes out *higher* than the exact top-25-of-256 ratio (the tail of the 256 is
// under-resolved after two power iterations). Reproducing the reference's decisions means
// reproducing that bias, hence this estimator rather than an exact one.
//
// Two implementations of one random variable:
//  * range_finder_on_matrix runs the algorithm on A itself (float32 sgemm like torch). It
//    sketches whichever side is smaller first, which for A and A^T gives the same
//    distribution (below), and orthonormalizes only that side's basis: the QR after a
//    product with A changes nothing but rounding, since span(A^T qr(A X)) = span(A^T A X).
//  * range_finder_on_spectrum runs it on diag(sigma), given A's exact singular values. With
//    A = U S V^T (r = min(m, n) values), U^T R is again an i.i.d. Gaussian r x q matrix, and
//    each product with A or A^T maps a basis of the form V X (or U X) to U S X (or V S X). So
//    the algorithm on A returns exactly the singular values of S Q_k, where Q_0 = qr(S G),
//    Q_{i+1} = qr(S Q_i), G Gaussian r x q: the same distribution at r q work per product
//    instead of m n q. That is the cheaper route whenever A's spectrum is (Gram matrix and
//    its eigenvalues), and it yields the exact values on the way.
// Both draw their Gaussians from the caller's seeded stream; BLAS runs single-threaded in the
// analysis, so a seed gives the same values whatever the thread count.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "swan/analysis/matrix_view.h"
#include "swan/analysis/random.h"

namespace swan::analysis {

struct RangeFinderOptions {
  std::int64_t columns = 256;  // q: the reference passes q = min(svd_rank, n), svd_rank = 256
  int power_iterations = 2;    // niter: torch's default, which the reference keeps
};

// The min(q, rows, cols) squared singular values of A Q, descending.
std::vector<double> range_finder_on_matrix(const MatrixView& a, const RangeFinderOptions& options, Random& rng);

// The same random variable through the smaller Gram matrix G = M^T M (M = A or A^T, tall):
// the first product's i.i.d. N(0, G) columns drawn as L Z (G = L L^T), each later pair of
// products one product with G. Falls back to range_finder_on_matrix when G is singular in
// float32.
std::vector<double> range_finder_on_gram(const MatrixView& a, const RangeFinderOptions& options, Random& rng);

// The same random variable from A's squared singular values (any order; all min(m, n) of
// them, zeros included): min(q, r) squared values, descending.
std::vector<double> range_finder_on_spectrum(std::span<const double> squared_singular_values,
                                             const RangeFinderOptions& options, Random& rng);

}  // namespace swan::analysis
