// The layout of an MLX model directory before any byte is written: which mlx_lm parameters
// come from which HF tensors, in which dtype and precision, as which safetensors tensors
// (`.weight` U32 + `.scales` + `.biases` for quantized modules), split into which shard
// files. Computed from names, shapes and the plan only, so sizes, the index and config.json
// are known up front and the writer can stream tensor by tensor.
// Conventions: ../shared/specs/mlx-format.md §2.3, §5.3–5.8.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "swan/core/dtype.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors_writer.h"
#include "swan/model/mlx_naming.h"
#include "swan/plan/quant_plan.h"

namespace swan::mlx {

// mlx_lm's MAX_FILE_SIZE_GB = 5: a new shard starts when the next tensor would pass it.
inline constexpr std::uint64_t kMaxShardBytes = 5ull << 30;

struct OutputParameter {
  model::MlxParameter parameter;  // name, HF sources, logical shape
  DType source_dtype = DType::F32;
  DType dtype = DType::F32;        // written dtype (model dtype for floats; source dtype otherwise)
  plan::QuantDecision decision;    // float unless quantized
  bool quantizable = false;        // a module mlx_lm could quantize (gets `false` in config if kept float)

  std::int64_t num_elements() const;
  std::string module() const { return parameter.module(); }
};

enum class TensorRole { Float, Raw, Packed, Scales, Biases };

struct OutputTensor {
  TensorSpec spec;
  std::size_t parameter = 0;  // index into MlxLayout::parameters
  TensorRole role = TensorRole::Float;
  std::size_t shard = 0;
};

struct MlxLayout {
  std::string model_type;  // config.json model_type: selects mlx_lm's per-model predicate
  bool tied = true;
  std::optional<DType> model_dtype;  // nullopt: source dtypes kept (no torch_dtype, no --dtype)
  std::vector<OutputParameter> parameters;
  std::vector<OutputTensor> tensors;  // in write order (parameter order; weight, scales, biases)
  std::vector<std::string> shard_files;
  std::uint64_t total_size = 0;        // Σ tensor bytes (index metadata.total_size)
  std::uint64_t total_parameters = 0;  // Σ logical elements (index metadata.total_parameters)
};

// The dtype mlx_lm.convert casts floating parameters to: `dtype_override` if given, else
// config torch_dtype (or text_config.dtype) when float16/bfloat16/float32, else none.
std::optional<DType> conversion_dtype(const nlohmann::ordered_json& config, std::optional<DType> dtype_override);

// The tensors of `source` that mlx_lm could quantize, as plan targets (after dropping and
// stacking). Needs config.json (tied embeddings).
std::vector<plan::PlanTarget> quantizable_targets(const ModelDirectory& source);

// What `mlx_lm.convert -q --q-bits B --q-group-size G` quantizes: every target at B-bit gG
// except where the model's own quant_predicate decides (model::mlx_lm_predicate_decision).
plan::QuantPlan mlx_lm_uniform_plan(const ModelDirectory& source, int bits, int group_size,
                                     plan::GroupSizeFallback fallback = plan::GroupSizeFallback::keep_float);

// Builds the layout. Every quantizable parameter must have a plan entry and every plan entry
// must name a quantizable parameter; throws otherwise (a plan made for another model).
MlxLayout build_layout(const ModelDirectory& source, const plan::QuantPlan& plan, std::optional<DType> dtype_override,
                       std::uint64_t max_shard_bytes = kMaxShardBytes);

// Shard file names as mlx_lm names them: "model.safetensors" or "model-0000k-of-0000N.safetensors".
std::string shard_file_name(std::size_t index, std::size_t count);

}  // namespace swan::mlx
