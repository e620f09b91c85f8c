#include "swan/analysis/bit_decision.h"

#include <fmt/format.h>

#include "swan/core/error.h"

namespace swan::analysis {

std::string_view threshold_set_name(ThresholdSet set) { return set == ThresholdSet::cli ? "cli" : "config"; }

ThresholdSet parse_threshold_set(std::string_view name) {
  if (name == "cli") return ThresholdSet::cli;
  if (name == "config") return ThresholdSet::config;
  fail("unknown threshold set \"{}\" (expected \"cli\" for 0.10/0.45/0.85 or \"config\" for 0.10/0.65/0.90)", name);
}

Thresholds Thresholds::of(ThresholdSet set) {
  if (set == ThresholdSet::cli) return Thresholds{0.10, 0.45, 0.85, 4};
  return Thresholds{0.10, 0.65, 0.90, 4};
}

BitDecision recommend_bits(double composite, TensorClass tensor_class, const Thresholds& t) {
  // fmt's {:.3f} rounds the exact binary value half-to-even, like Python's format().
  if (tensor_class == TensorClass::protected_tensor) return {16, "protected_pattern", {}};
  if (composite >= t.bits16) return {16, fmt::format("composite_score={:.3f} >= 16bit_threshold", composite), {}};
  if (tensor_class == TensorClass::sensitive) return {8, "sensitive_pattern", {}};
  if (composite >= t.bits8) return {8, fmt::format("composite_score={:.3f} >= 8bit_threshold", composite), {}};
  if (composite <= t.bits2) return {2, fmt::format("composite_score={:.3f} <= 2bit_threshold", composite), {}};
  return {t.default_bits, "default", {}};
}

BitDecision one_d_tensor_decision() { return {16, "1d_tensor", {}}; }

}  // namespace swan::analysis
