// The forward pass written as plainly as possible: single thread, straight loops, double
// accumulators, every matrix read as float32 row by row. It is the executable spec the fast
// Model::forward is tested against (on the tiny fixture models) and the naive baseline in
// bench/inference_bench.cpp. Far too slow for real models.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "swan/inference/model_weights.h"
#include "swan/model/architecture.h"

namespace swan::inference {

// Logits [tokens.size(), vocab] for the sequence from position 0, like Model::forward.
std::vector<float> reference_forward(const model::ModelConfig& config, const ModelWeights& weights,
                                     std::span<const std::int32_t> tokens);

}  // namespace swan::inference
