// SWAN metric 1 (spec §2.3): how much of T's spectral energy sits in its leading
// singular values. With n = min(rows, cols):
//   * exact path, n <= 512: c = sum of the top max(1, n/10) sigma^2 over all n sigma^2;
//   * leading path, n > 512: the reference takes the 256 leading singular values from
//     torch.svd_lowrank(q=256, niter=2) and uses the top 25 of them over the energy of
//     those 256 only.
// Exact values come from the eigenvalues of the smaller Gram matrix, accumulated and
// decomposed in float64 (LAPACKE dsyevd). On the leading path swan follows the reference's
// estimator by default (`--svd sketch`, range_finder.h): seeded, with the reference's
// expected upward bias, so decisions near a threshold go the way the reference's go. It is
// computed from the exact spectrum (float32 ssyrk + ssyevd, then the range finder on the
// diagonal) wherever that is cheaper than running it on the matrix, so the exact
// top-25-of-256 ratio comes for free and is recorded beside it. `--svd exact` scores the
// exact ratio instead (deterministic; not the reference's decisions near thresholds).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "swan/analysis/matrix_view.h"
#include "swan/analysis/random.h"
#include "swan/analysis/range_finder.h"

namespace swan::analysis {

inline constexpr std::int64_t kSvdRank = 256;
inline constexpr std::int64_t kExactSvdMaxDim = 2 * kSvdRank;  // 512

// Which value of the leading path the score uses.
enum class SvdEstimator {
  sketch,  // the reference's torch.svd_lowrank(q=256, niter=2) estimate, seeded (default)
  exact,   // the exact top-25-of-256 ratio (the quantity the sketch estimates, minus its bias)
};

std::string_view svd_estimator_name(SvdEstimator estimator);  // "sketch" | "exact"
SvdEstimator parse_svd_estimator(std::string_view name);

// Where the sketch runs (same distribution either way; see range_finder.h).
enum class SketchRoute {
  automatic,  // the cheapest by cheapest_sketch_route
  spectrum,   // exact spectrum (float32 Gram + eigenvalues), range finder on the diagonal
  matrix,     // range finder on the matrix itself
  gram,       // range finder on the smaller Gram matrix
};

struct SvdOptions {
  SvdEstimator estimator = SvdEstimator::sketch;
  SketchRoute route = SketchRoute::automatic;
  RangeFinderOptions sketch;  // q = 256, niter = 2: the reference's call
};

struct ConcentrationResult {
  std::optional<double> concentration;  // empty when the energy is < 1e-12
  // The exact value of the same definition, when it was computed (always on the exact
  // paths, and on the leading path unless the sketch ran on the matrix).
  std::optional<double> exact_concentration;
  bool leading = false;     // the top-25-of-256 definition (n > 512)
  bool sketched = false;    // ... and concentration is the reference's sketch estimate
  SketchRoute sketch_route = SketchRoute::automatic;  // ... and where it ran (automatic: not sketched)
  std::int64_t values = 0;  // singular values the ratio is taken over (n, or 256)
  std::int64_t top_k = 0;   // max(1, values / 10)
  double energy = 0.0;      // sum of sigma^2 over those values
};

ConcentrationResult spectral_concentration(const MatrixView& t, Random& rng, const SvdOptions& options = {});

// All n squared singular values of T, descending (float64 Gram + dsyevd).
std::vector<double> squared_singular_values(const MatrixView& t);
// All n squared singular values of T, descending, from a float32 Gram matrix (ssyrk + ssyevd).
std::vector<double> squared_singular_values_f32(const MatrixView& t);
// The cheapest route of the sketch of an m x n matrix (n the smaller side), by a cost model in
// units of one ssyrk flop, fitted to `bench/analyze_bench --sketch` (CPU-s per call,
// single-threaded, Zen 3, OpenBLAS 0.3.21):
//   spectrum: m n^2 (ssyrk) + 4.4 n^3 (ssyevd: its tridiagonal reduction, 4/3 n^3 flops, runs
//             at a third of ssyrk's speed) + 3 float64 Cholesky QRs of n x q (8 n q^2 each);
//   matrix:   1.2 x 12 m n q for the six GEMMs (thin operands run below ssyrk's speed) + two
//             float32 and one float64 Cholesky QRs;
//   gram:     m n^2 (ssyrk) + n^3 (float32 Cholesky of G) + 7 n^2 q (the triangular first
//             product and three products with G) + the QRs and the final q x q problem.
// Elongated matrices (4864 x 896, embeddings) go through the Gram matrix, square ones whose
// Gram costs as much as the products stay on the matrix; the spectrum is never the cheapest
// and serves `--svd exact`.
SketchRoute cheapest_sketch_route(std::int64_t rows, std::int64_t cols, const RangeFinderOptions& options = {});
// sum(top max(1, len/10)) / sum(all) of descending squared singular values; empty if sum < 1e-12.
std::optional<double> top_decile_energy(const std::vector<double>& squared_values);

}  // namespace swan::analysis
