// The MLX writer: HF model directory + QuantPlan -> a model directory mlx_lm loads unchanged.
//
// One parameter at a time, straight from the mmap, in bands of rows on all cores
// (parameter_bands.h; peak memory ~ the outputs of two parameters, one being written on a
// background thread while the next is computed):
//   read (widen to float32) -> reject NaN/Inf (naming the tensor) -> round to the model
//   dtype (config torch_dtype or --dtype, as mlx_lm.convert does) -> reject values that
//   overflowed the dtype -> quant::quantize_affine with the plan's scale method for planned
//   tensors -> write `.weight` (U32), `.scales`, `.biases` (model dtype), or the float
//   tensor as is (its source bytes when the dtype does not change).
// Then model.safetensors.index.json, config.json, tokenizer files, generation_config.json,
// *.py and a README.md model card. Everything goes to a temp dir that is renamed into
// place only when complete (StagingDirectory). The input is only ever read.
// Output is a pure function of (input, plan incl. its scale method, dtype): byte-identical for any thread count.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/size_summary.h"
#include "swan/plan/quant_plan.h"

namespace swan::mlx {

struct WriteOptions {
  std::optional<DType> dtype;  // overrides config torch_dtype (--dtype)
  bool force = false;          // replace a non-empty OUT_DIR
  std::uint64_t max_shard_bytes = kMaxShardBytes;
  // Called before each parameter is processed (progress display). An exception thrown from
  // it aborts the write like any other error (tests use that to inject failures).
  std::function<void(std::size_t index, std::size_t count, const std::string& parameter)> on_parameter;
};

struct WriteResult {
  std::filesystem::path directory;
  SizeSummary summary;
  std::vector<std::string> files;      // files written, relative to the directory, sorted
  std::vector<std::string> fallbacks;  // "tensor: note" for every group-size fallback
};

WriteResult write_mlx_model(const ModelDirectory& source, const plan::QuantPlan& plan,
                            const std::filesystem::path& out_dir, const WriteOptions& options = {});

// Files copied verbatim from the source: tokenizer files, generation_config.json, *.py.
bool is_copied_file(const std::string& file_name);

}  // namespace swan::mlx

namespace swan::mlx {
// A few lines for the terminal: where it went, size, averages, fallbacks.
std::string format_write_result(const WriteResult& result);
// Parses --dtype values: float16, bfloat16, float32.
DType parse_output_dtype(const std::string& name);
}  // namespace swan::mlx
