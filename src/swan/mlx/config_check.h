// Before convert / quantize / plan write anything: would mlx_lm build a model from this
// config.json and load exactly these parameters into it? The config must parse the way
// mlx_lm's ModelArgs reads it (hidden size and head counts that divide, kv heads in range,
// a float torch_dtype name), and the parameters swan is about to write must be the ones
// mlx_lm's model class declares, with its shapes (model/mlx_lm_parameters.h): vocab_size
// vs the embedding's rows, num_hidden_layers vs the layers present, hidden size and heads vs
// the projections. An output mlx_lm cannot load is never written.
#pragma once

#include <span>

#include "swan/io/model_directory.h"
#include "swan/model/mlx_naming.h"

namespace swan::mlx {

// Throws swan::Error naming the key or tensor that disagrees and what to fix. Model types
// swan does not know are not checked (their mlx_lm parameters are not described here).
void check_config_against_parameters(const ModelDirectory& source, std::span<const model::MlxParameter> parameters,
                                     bool tied);

}  // namespace swan::mlx
