// SWAN metric 1 (spec §2.3): how much of T's spectral energy sits in its leading
// singular values. With n = min(rows, cols):
//   * exact path, n <= 512: c = sum of the top max(1, n/10) sigma^2 over all n sigma^2;
//   * leading path, n > 512: the reference takes the 256 leading singular values from
//     torch.svd_lowrank and uses the top 25 of them over the energy of those 256 only.
// Exact values come from the eigenvalues of the smaller Gram matrix, accumulated and
// decomposed in float64 (LAPACKE dsyevd). For the leading path swan computes the exact
// top-25-of-256 ratio (the quantity the reference's sketch estimates; golden README) the
// same way in float32 (ssyrk + ssyevd: deterministic, and float32 is ample for a ratio of
// the largest values) whenever a cost model says that is cheaper than sketching, which it
// is up to n ~ 1500-3000 depending on the aspect. Larger matrices use a seeded subspace
// iteration (cblas_sgemm + QR) that resolves the top 256 values more tightly than the
// reference's niter=2 sketch, so it sits close to the exact ratio too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "swan/analysis/matrix_view.h"
#include "swan/analysis/random.h"

namespace swan::analysis {

inline constexpr std::int64_t kSvdRank = 256;
inline constexpr std::int64_t kExactSvdMaxDim = 2 * kSvdRank;  // 512

// Measured by bench/analyze_bench on a 1024x2048 heavy-tailed matrix (exact 0.1319):
// (0 extra, 2 iterations, the reference's sketch) +0.0071; (32, 2) +0.0052 at 1.2x the
// reference's cost; (32, 3) +0.0031 at 1.75x. The golden tolerance is 0.01.
// How the leading 256 values of a matrix with n > 512 are found.
enum class LeadingSvdMethod {
  automatic,   // the cheaper of the two by leading_svd_uses_gram
  gram,        // exact: eigenvalues of the float32 Gram matrix (no randomness)
  randomized,  // seeded subspace iteration
};

struct RandomizedSvdOptions {
  std::int64_t oversample = 32;       // extra sketch columns beyond the rank
  int power_iterations = 2;           // subspace iterations (each: two GEMMs + two QRs)
  LeadingSvdMethod method = LeadingSvdMethod::automatic;
};

struct ConcentrationResult {
  std::optional<double> concentration;  // empty when the energy is < 1e-12
  bool randomized = false;  // the top-25-of-256 definition (n > 512), however computed
  bool sketched = false;    // ... and computed by the seeded sketch rather than exactly
  std::int64_t values = 0;  // singular values the ratio is taken over (n, or 256)
  std::int64_t top_k = 0;   // max(1, values / 10)
  double energy = 0.0;      // sum of sigma^2 over those values
};

ConcentrationResult spectral_concentration(const MatrixView& t, Random& rng, const RandomizedSvdOptions& options = {});

// All n squared singular values of T, descending (float64 Gram + dsyevd).
std::vector<double> squared_singular_values(const MatrixView& t);
// All n squared singular values of T, descending, from a float32 Gram matrix (ssyrk + ssyevd).
std::vector<double> squared_singular_values_f32(const MatrixView& t);
// Whether the exact Gram path is cheaper than the sketch for an m x n matrix (n the smaller
// side). Gram: m n^2 (ssyrk) + 4.4 n^3 (ssyevd: its tridiagonal reduction, 4/3 n^3 flops,
// runs at a third of ssyrk's speed). Sketch: 1.5 x (12 m n l for six GEMMs + 4 l^2 per row
// for five QRs), l = 288; the 1.5 is the measured shortfall of GEMM-with-thin-operand and QR
// speed. Measured single-threaded on the bench machine (Zen 4, OpenBLAS 0.3.21), seconds:
//   896x896 0.049 vs 0.076, 4864x896 0.071 vs 0.312, 1024^2 0.071 vs 0.110,
//   1536^2 0.193 vs 0.173, 2048^2 0.461 vs 0.279, 2048x8192 0.660 vs 0.907,
//   1536x8960 0.327 vs 0.752, 3584^2 2.47 vs 0.63; the model picks the faster in each.
bool leading_svd_uses_gram(std::int64_t rows, std::int64_t cols, const RandomizedSvdOptions& options = {});
// The k leading squared singular values of T, descending, by randomized subspace iteration.
std::vector<double> leading_squared_singular_values(const MatrixView& t, std::int64_t k, Random& rng,
                                                    const RandomizedSvdOptions& options = {});
// sum(top max(1, len/10)) / sum(all) of descending squared singular values; empty if sum < 1e-12.
std::optional<double> top_decile_energy(const std::vector<double>& squared_values);

}  // namespace swan::analysis
