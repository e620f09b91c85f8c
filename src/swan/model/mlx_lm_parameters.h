// The parameters mlx_lm's model classes (models/llama.py, qwen2.py, qwen3.py, qwen2_moe.py,
// qwen3_moe.py, mixtral.py) declare for a config: names and logical (float) shapes, after
// sanitize (experts stacked into switch_mlp, lm_head absent when tied). mlx_lm loads weights
// strictly, so a directory with a tensor outside this list, or without one of them, is
// refused ("parameters not in model" / "missing parameters"). Pure description: no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "swan/model/architecture.h"

namespace swan::model {

struct ExpectedParameter {
  std::string name;                 // e.g. "model.layers.0.mlp.switch_mlp.down_proj.weight"
  std::vector<std::int64_t> shape;  // [E, out, in] for stacked experts, [out, in], [n]
};

// In module order: embeddings, per layer (norms, attention, MLP or MoE block), final norm,
// lm_head unless `tied`.
std::vector<ExpectedParameter> mlx_lm_parameters(const ModelConfig& config, bool tied);

}  // namespace swan::model
