// SWAN metric 3 (spec §2.5): relative change of T's outputs when uniform noise of one
// 4-bit step (h = range / 16) is added to every weight.
//   * analytic (default): the expectation in closed form, delta = range / (16 sqrt(12) RMS(T)).
//     It is deterministic, costs one pass, and lies within the reference's seed spread
//     (golden README: ratio to the 200-seed mean 0.96-1.003).
//   * sampled: the reference's probe procedure with our own RNG: P = min(32, cols) random
//     unit probes X, delta = ||(T + N) X - T X||_F / (||T X||_F + 1e-8), N ~ U[-h/2, h/2).
#pragma once

#include "swan/analysis/matrix_view.h"
#include "swan/analysis/random.h"

namespace swan::analysis {

inline constexpr int kNoiseProbes = 32;
inline constexpr double kNoiseLevels = 16.0;  // "4-bit has 16 levels"

struct OutputNoiseResult {
  double delta = 0.0;
  double range = 0.0;  // max(T) - min(T)
  double rms = 0.0;    // ||T||_F / sqrt(numel)
};

OutputNoiseResult output_noise_analytic(const MatrixView& t);
// The analytic delta from an already known range and RMS (0 for a constant or zero T).
double analytic_delta(double range, double rms);
OutputNoiseResult output_noise_sampled(const MatrixView& t, Random& rng);

}  // namespace swan::analysis
