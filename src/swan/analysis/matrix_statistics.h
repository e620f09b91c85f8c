// The three one-pass metrics of T (excess kurtosis, range / RMS for the output-noise
// metric, 4-bit group-128 error proxy) computed together in one fused, vectorised sweep.
// Same definitions as kurtosis.h, output_noise.h and error_proxy.h, which stay the
// executable reference this is tested against; only the summation order differs:
//   * kurtosis: power sums of x - pivot per row band, the pivot near the mean (the first
//     row's mean, then the mean of the bands before), combined exactly (binomial shift to
//     the global mean): one pass over T and no raw-moment cancellation;
//   * squared sums in float64 vector lanes instead of one running float64 sum.
// Per-element float32 arithmetic of the error proxy is unchanged (bit-faithful rounding).
#pragma once

#include "swan/analysis/error_proxy.h"
#include "swan/analysis/kurtosis.h"
#include "swan/analysis/matrix_view.h"

namespace swan::analysis {

struct MatrixStatistics {
  KurtosisResult kurtosis;
  double range = 0.0;  // max(T) - min(T), float32 subtraction
  double rms = 0.0;    // ||T||_F / sqrt(numel)
  ErrorProxyResult error_proxy;
};

MatrixStatistics matrix_statistics(const MatrixView& t);

}  // namespace swan::analysis
