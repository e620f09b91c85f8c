#include "swan/analysis/ggml_error_curve.h"

#include <algorithm>
#include <cmath>

#include "swan/core/float_formats.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::analysis {

const GgmlCurvePoint* GgmlErrorCurve::find(quant::GgmlType type) const {
  for (const auto& p : points)
    if (p.type == type) return &p;
  return nullptr;
}

std::vector<quant::GgmlType> legal_ggml_types(std::span<const quant::GgmlType> candidates, std::int64_t cols) {
  std::vector<quant::GgmlType> out;
  if (cols <= 0) return out;
  for (const auto type : candidates)
    if (static_cast<std::size_t>(cols) % quant::block_elements(type) == 0) out.push_back(type);
  return out;
}

GgmlErrorCurve measure_ggml_error_curve(const MatrixView& t, std::span<const quant::GgmlType> candidates,
                                        const CurveSampling& sampling) {
  GgmlErrorCurve curve;
  curve.cols = t.cols;
  const auto types = legal_ggml_types(candidates, t.cols);
  if (types.empty() || t.rows == 0) return curve;

  // The sampling unit holds whole blocks of every legal type.
  std::int64_t unit = 1;
  for (const auto type : types) unit = std::max(unit, static_cast<std::int64_t>(quant::block_elements(type)));
  if (unit == 1) unit = t.cols % 256 == 0 ? 256 : t.cols % 32 == 0 ? 32 : t.cols;  // float types only
  MatrixView measured = t;
  std::vector<float> gathered;
  if (const auto blocks = sampled_blocks(t.rows, t.cols, sampling, unit); !blocks.empty()) {
    gathered = gather_blocks(t, blocks, unit);
    measured = {gathered.data(), static_cast<std::int64_t>(blocks.size()), unit};
  }
  curve.values_measured = measured.rows * measured.cols;

  // F16 must hold every value of the matrix, not only the sampled ones.
  float max_abs = 0.0f;
  for (const float v : t.values()) max_abs = std::max(max_abs, std::fabs(v));
  const bool fits_f16 = std::isfinite(fp16_to_float(float_to_fp16(max_abs)));

  double sum_squares = 0.0;
  for (const float v : measured.values()) sum_squares += static_cast<double>(v) * v;
  for (const auto type : types) {
    if (type == quant::GgmlType::F16 && !fits_f16) continue;
    const double sse = quant::ggml_quantization_sse(type, measured.values(), static_cast<std::size_t>(measured.rows),
                                                    static_cast<std::size_t>(measured.cols), /*threads=*/1);
    if (!std::isfinite(sse)) continue;  // F16 overflow: not storable
    curve.points.push_back({type, sum_squares > 0.0 ? sse / sum_squares : 0.0});
  }
  return curve;
}

}  // namespace swan::analysis
