// SWAN's bit decision (`recommend_bits`, spec §4), with both threshold sets the
// reference ships:
//   * cli    (0.10 / 0.45 / 0.85): the defaults of `python -m smartquant analyze`, i.e.
//     what users of the reference actually get; swan's default;
//   * config (0.10 / 0.65 / 0.90): QuantConfig's defaults, quoted in the reference README.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "swan/analysis/classification.h"

namespace swan::analysis {

enum class ThresholdSet { cli, config };

std::string_view threshold_set_name(ThresholdSet set);  // "cli" | "config"
ThresholdSet parse_threshold_set(std::string_view name);

struct Thresholds {
  double bits2 = 0.10;
  double bits8 = 0.45;
  double bits16 = 0.85;
  int default_bits = 4;

  static Thresholds of(ThresholdSet set);
};

struct BitDecision {
  int bits = 4;
  std::string reason;
  std::optional<int> group_size;  // swan's planner may set it; SWAN manifests never do

  bool operator==(const BitDecision&) const = default;
};

// Reasons: "protected_pattern", "composite_score={:.3f} >= 16bit_threshold",
// "sensitive_pattern", "composite_score={:.3f} >= 8bit_threshold",
// "composite_score={:.3f} <= 2bit_threshold", "default". Comparisons are inclusive.
BitDecision recommend_bits(double composite, TensorClass tensor_class, const Thresholds& thresholds);

// 1-D tensors never reach recommend_bits in the reference.
BitDecision one_d_tensor_decision();

}  // namespace swan::analysis
