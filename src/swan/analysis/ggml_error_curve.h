// Error curves for GGUF output: what each ggml type would cost a matrix, in reconstruction
// error, measured with the real ggml quantizer (quant/ggml_quantize.h, byte-exact with
// llama.cpp) and its real dequantization. The GGUF byte-budget planner (gguf/budget.h)
// chooses among these options; nothing here decides anything.
//
// For a matrix W (rows x cols, each row quantized on its own, as ggml does) and each ggml
// type whose block divides cols:
//   relative_error = ||W - dequantize(quantize(W))||² / ||W||²
// F16 of a value beyond its range is infinite, so F16 is not an option for such a matrix.
// Every ggml type quantizes block by block with no state across blocks, so a block's error
// is the same wherever it is measured: large matrices are measured on the same kind of
// spread-out block sample as the MLX curves (error_curve.h), with blocks 256 wide when cols
// allows (whole super-blocks of the K types) and 32 wide otherwise.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "swan/analysis/error_curve.h"
#include "swan/analysis/matrix_view.h"
#include "swan/quant/ggml_type.h"

namespace swan::analysis {

struct GgmlCurvePoint {
  quant::GgmlType type = quant::GgmlType::F32;
  double relative_error = 0.0;
  bool operator==(const GgmlCurvePoint&) const = default;
};

struct GgmlErrorCurve {
  std::int64_t cols = 0;
  std::int64_t values_measured = 0;    // values actually quantized (rows * cols unless sampled)
  std::vector<GgmlCurvePoint> points;  // in the order of the types asked for; only legal, finite ones

  const GgmlCurvePoint* find(quant::GgmlType type) const;
};

// The types of `candidates` a row of `cols` values can be stored in (cols a multiple of
// the type's block), in the order given.
std::vector<quant::GgmlType> legal_ggml_types(std::span<const quant::GgmlType> candidates, std::int64_t cols);

// Curve of `t` over the legal types of `candidates`. Single-threaded (callers run matrices
// in parallel); deterministic. Preconditions: finite values.
GgmlErrorCurve measure_ggml_error_curve(const MatrixView& t, std::span<const quant::GgmlType> candidates,
                                        const CurveSampling& sampling = {});

}  // namespace swan::analysis
