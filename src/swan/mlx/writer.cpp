// Streaming MLX writer; see writer.h.
#include "swan/mlx/writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "swan/analysis/input_importance.h"
#include "swan/core/error.h"
#include "swan/io/write_behind.h"
#include "swan/mlx/config.h"
#include "swan/mlx/model_card.h"
#include "swan/mlx/parameter_bands.h"
#include "swan/mlx/staging_directory.h"
#include "swan/model/parameter_source.h"
#include "swan/quant/affine.h"

namespace swan::mlx {
namespace fs = std::filesystem;

namespace {

ParameterSource parameter_source(const ModelDirectory& source, const OutputParameter& p) {
  const std::size_t cols = p.parameter.shape.empty() ? 1 : static_cast<std::size_t>(p.parameter.shape.back());
  return model::checkpoint_parameter(source, p.parameter.name, p.parameter.sources, cols);
}

using model::release_all;

// Streams the tensors of the layout into their shard files, one parameter behind the
// computation (io/write_behind.h).
class ShardedOutput {
 public:
  ShardedOutput(const fs::path& dir, const MlxLayout& layout) : dir_(dir), layout_(layout) {}
  ShardedOutput(const ShardedOutput&) = delete;
  ShardedOutput& operator=(const ShardedOutput&) = delete;

  // Runs `job` (which calls write()) once the previous job is done; rethrows its error.
  template <typename Job>
  void then(Job&& job) {
    behind_.then(std::forward<Job>(job));
  }

  void write(const OutputTensor& tensor, std::span<const std::byte> data) {
    if (!writer_ || tensor.shard != shard_) {
      if (writer_) writer_->finish();
      shard_ = tensor.shard;
      std::vector<TensorSpec> specs;
      for (const auto& t : layout_.tensors)
        if (t.shard == shard_) specs.push_back(t.spec);
      writer_ = std::make_unique<SafetensorsWriter>(dir_ / layout_.shard_files[shard_], std::move(specs),
                                                    std::map<std::string, std::string>{{"format", "mlx"}});
    }
    writer_->write(tensor.spec.name, data);
  }

  void finish() {
    behind_.finish();
    if (writer_) writer_->finish();
    writer_.reset();
  }

 private:
  fs::path dir_;
  const MlxLayout& layout_;
  std::unique_ptr<SafetensorsWriter> writer_;
  std::size_t shard_ = 0;
  WriteBehind behind_;  // last member: destroyed first, so a running job finishes before the rest
};

// Writes the parameter's bytes as stored in the source, concatenated (straight from the
// mapping when it is one tensor), then drops its pages.
void write_source_bytes(ParameterSource data, const OutputTensor& tensor, ShardedOutput& out) {
  out.then([data = std::move(data), &tensor, &out] {
    if (data.parts.size() == 1) {
      out.write(tensor, data.parts[0]);
    } else {
      std::size_t bytes = 0;
      for (const auto& part : data.parts) bytes += part.size();
      Buffer<std::byte> all(bytes);
      std::size_t at = 0;
      for (const auto& part : data.parts) {
        std::memcpy(all.data.get() + at, part.data(), part.size());
        at += part.size();
      }
      out.write(tensor, all.bytes());
    }
    release_all(data);
  });
}

// The importance of each input column for optimized scales (analysis/input_importance.h);
// for stacked experts the same for every expert, as they all read one norm's output.
std::vector<float> column_importance(const ModelDirectory& source, const MlxLayout& layout,
                                     const OutputParameter& p) {
  return analysis::input_column_importance(source, p.parameter.sources.front(),
                                           static_cast<std::size_t>(p.parameter.shape.back()), layout.tied);
}

void write_parameter(const ModelDirectory& source, const MlxLayout& layout, quant::ScaleMethod scale_method,
                     std::size_t index, std::span<const OutputTensor* const> tensors, ShardedOutput& out) {
  const OutputParameter& p = layout.parameters[index];
  ParameterSource data = parameter_source(source, p);
  if (!is_float_weight_dtype(p.source_dtype)) {
    write_source_bytes(std::move(data), *tensors[0], out);
  } else if (!p.decision.is_quantized() && p.dtype == p.source_dtype) {
    // Rounding to the dtype the values already have changes nothing: copy the bytes.
    check_finite(data);
    write_source_bytes(std::move(data), *tensors[0], out);
  } else if (!p.decision.is_quantized()) {
    auto bytes = std::make_shared<Buffer<std::byte>>(convert_parameter(data, p.dtype));
    release_all(data);
    out.then([bytes, tensor = tensors[0], &out] { out.write(*tensor, bytes->bytes()); });
  } else {
    // Rounded to the written dtype first: mlx_lm.convert casts before quantizing, and the
    // quantizer must see exactly the values a float copy of the model would hold.
    const std::vector<float> column_weights =
        scale_method == quant::ScaleMethod::optimized ? column_importance(source, layout, p) : std::vector<float>{};
    auto q = std::make_shared<QuantizedParameter>(quantize_parameter(
        data, p.dtype, {p.decision.bits, p.decision.group_size}, scale_method, column_weights));
    release_all(data);
    out.then([q, tensors, &out] {
      // Packed words are stored little-endian; swan targets little-endian hosts (x86-64, arm64).
      out.write(*tensors[0], q->packed.bytes());
      out.write(*tensors[1], q->scales.bytes());
      out.write(*tensors[2], q->biases.bytes());
    });
  }
}

}  // namespace

bool is_copied_file(const std::string& f) {
  auto ends = [&](std::string_view s) { return f.ends_with(s); };
  return f == "generation_config.json" || ends(".py") || f.starts_with("tokenizer") ||
         f == "special_tokens_map.json" || f == "added_tokens.json" || f.starts_with("vocab.") ||
         f == "merges.txt" || f.starts_with("chat_template.") || ends(".tiktoken") || f == "tiktoken.model";
}

WriteResult write_mlx_model(const ModelDirectory& source, const plan::QuantPlan& plan, const fs::path& out_dir,
                            const WriteOptions& options) {
  // Everything that can be checked without writing is checked before the temp dir exists.
  const MlxLayout layout = build_layout(source, plan, options.dtype, options.max_shard_bytes);
  std::optional<nlohmann::ordered_json> generation_config;
  if (fs::exists(source.path() / "generation_config.json"))
    generation_config = read_json_file(source.path() / "generation_config.json");
  const auto config = output_config(source.config(), generation_config, layout, plan);

  StagingDirectory staging(out_dir, source.path(), options.force);
  const fs::path& dir = staging.path();
  try {
    std::vector<std::vector<const OutputTensor*>> by_parameter(layout.parameters.size());
    for (const auto& t : layout.tensors) by_parameter[t.parameter].push_back(&t);
    ShardedOutput shards(dir, layout);
    for (std::size_t i = 0; i < layout.parameters.size(); ++i) {
      if (options.on_parameter) options.on_parameter(i, layout.parameters.size(), layout.parameters[i].parameter.name);
      write_parameter(source, layout, plan.scale_method(), i, by_parameter[i], shards);
    }
    shards.finish();

    write_text_file(dir / "model.safetensors.index.json", dump_python_style(index_json(layout)));
    write_text_file(dir / "config.json", dump_python_style(config));
    for (const auto& entry : fs::directory_iterator(source.path())) {
      const std::string file = entry.path().filename().string();
      if (!entry.is_regular_file() || !is_copied_file(file)) continue;
      std::error_code ec;
      fs::copy_file(entry.path(), dir / file, ec);
      if (ec) fail("cannot copy {} into the output: {}", entry.path().string(), ec.message());
    }
    WriteResult result;
    result.summary = summarize(layout, plan);
    for (const auto* t : plan.fallbacks()) result.fallbacks.push_back(t->name + ": " + t->fallback_note());
    const std::string dtype = layout.model_dtype ? std::string(dtype_name(*layout.model_dtype)) : "source dtypes";
    write_text_file(dir / "README.md",
                    model_card({source.path().filename().string(), &plan, &result.summary, dtype}));
    for (const auto& entry : fs::directory_iterator(dir)) result.files.push_back(entry.path().filename().string());
    std::sort(result.files.begin(), result.files.end());
    staging.commit();
    result.directory = out_dir;
    return result;
  } catch (const Error& e) {
    fail("writing the MLX model to {} failed; nothing was written: {}", out_dir.string(), e.what());
  } catch (const std::exception& e) {
    fail("writing the MLX model to {} failed; nothing was written: {}", out_dir.string(), e.what());
  }
}

}  // namespace swan::mlx

namespace swan::mlx {

std::string format_write_result(const WriteResult& result) {
  const auto& s = result.summary;
  std::string out = fmt::format("wrote {} ({} files, {} weights in {} bytes = {})\n", result.directory.string(),
                                result.files.size(), s.total_params, s.total_bytes, format_bytes(s.total_bytes));
  out += fmt::format("average bits per weight: {:.3f} without scales/biases, {:.3f} with\n", s.bits_per_weight(),
                     s.bits_per_weight_with_overhead());
  for (const auto& [bits, params] : s.params_by_bits())
    out += fmt::format("  {:>2}-bit: {:>12} params ({:.1f} %)\n", bits, params,
                       s.total_params ? 100.0 * static_cast<double>(params) / s.total_params : 0.0);
  if (!result.fallbacks.empty()) {
    out += fmt::format("{} group-size fallback{}:\n", result.fallbacks.size(), result.fallbacks.size() == 1 ? "" : "s");
    for (const auto& f : result.fallbacks) out += "  " + f + "\n";
  }
  return out;
}

DType parse_output_dtype(const std::string& name) {
  if (name == "float16") return DType::F16;
  if (name == "bfloat16") return DType::BF16;
  if (name == "float32") return DType::F32;
  fail("unknown dtype '{}': use float16, bfloat16 or float32", name);
}

}  // namespace swan::mlx
