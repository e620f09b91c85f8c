// What a model directory costs, per logical parameter and in total: bits, group size,
// logical parameter count and bytes on disk (a quantized weight's bytes include its
// scales and biases). Shared by the writer's model card and `swan inspect`, so the two
// report the same numbers.
//
// Averages are over all logical parameters (norms and biases included):
//   bits_per_weight               = Σ params·bits / Σ params   (float tensors count their dtype width)
//   bits_per_weight_with_overhead = 8 · Σ bytes / Σ params       (adds the scales and biases)
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/mlx/layout.h"

namespace swan::mlx {

struct ParameterSize {
  std::string name;       // logical parameter, e.g. "model.layers.0.mlp.down_proj.weight"
  std::string dtype;      // stored dtype of the float tensor, or of the scales when quantized
  int bits = 16;          // quantized bits, or the float dtype's width
  int group_size = 0;     // 0 when not quantized
  std::uint64_t params = 0;
  std::uint64_t bytes = 0;
  bool quantized = false;
  std::string note;       // e.g. a group-size fallback
};

struct SizeSummary {
  std::vector<ParameterSize> parameters;
  std::uint64_t total_params = 0;
  std::uint64_t total_bytes = 0;

  void add(ParameterSize size);
  std::map<int, std::uint64_t> params_by_bits() const;
  double bits_per_weight() const;
  double bits_per_weight_with_overhead() const;
};

SizeSummary summarize(const MlxLayout& layout, const plan::QuantPlan& plan);

nlohmann::ordered_json to_json(const SizeSummary& summary);
// A fixed-width table, one row per parameter, then the totals.
std::string format_table(const SizeSummary& summary);
std::string format_bytes(std::uint64_t bytes);  // "1.23 MiB"

}  // namespace swan::mlx
