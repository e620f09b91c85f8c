// Streaming MLX writer; see writer.h.
#include "swan/mlx/writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "swan/core/error.h"
#include "swan/mlx/config.h"
#include "swan/mlx/model_card.h"
#include "swan/mlx/staging_directory.h"
#include "swan/quant/affine.h"

namespace swan::mlx {
namespace fs = std::filesystem;

namespace {

template <typename T>
std::span<const std::byte> as_bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

void require_finite(std::span<const float> values, const std::string& tensor, const char* what) {
  const auto it = std::find_if(values.begin(), values.end(), [](float v) { return !std::isfinite(v); });
  if (it != values.end())
    fail("tensor '{}' {} {} at element {}; swan refuses to write it. Fix or re-export the source model", tensor,
         what, *it, it - values.begin());
}

// Raw bytes of a parameter (stacked experts concatenated in expert order).
std::vector<std::byte> read_raw(const ModelDirectory& source, const OutputParameter& p) {
  std::vector<std::byte> out;
  for (const auto& name : p.parameter.sources) {
    const ModelTensor* t = source.find(name);
    const auto data = source.file(*t).data(*t->info);
    out.insert(out.end(), data.begin(), data.end());
    source.file(*t).release(*t->info);
  }
  return out;
}

std::vector<float> read_values(const ModelDirectory& source, const OutputParameter& p) {
  std::vector<float> values(static_cast<std::size_t>(p.num_elements()));
  std::size_t offset = 0;
  for (const auto& name : p.parameter.sources) {
    const ModelTensor* t = source.find(name);
    const auto n = static_cast<std::size_t>(t->info->num_elements());
    source.file(*t).read_float(*t->info, std::span<float>(values).subspan(offset, n));
    source.file(*t).release(*t->info);
    offset += n;
  }
  return values;
}

// Streams the tensors of the layout into their shard files.
class ShardedOutput {
 public:
  ShardedOutput(const fs::path& dir, const MlxLayout& layout) : dir_(dir), layout_(layout) {}

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
    if (writer_) writer_->finish();
    writer_.reset();
  }

 private:
  fs::path dir_;
  const MlxLayout& layout_;
  std::unique_ptr<SafetensorsWriter> writer_;
  std::size_t shard_ = 0;
};

void write_parameter(const ModelDirectory& source, const MlxLayout& layout, std::size_t index,
                     std::span<const OutputTensor* const> tensors, ShardedOutput& out) {
  const OutputParameter& p = layout.parameters[index];
  const std::string& name = p.parameter.name;
  if (!is_float_weight_dtype(p.source_dtype)) {
    out.write(*tensors[0], read_raw(source, p));
    return;
  }
  std::vector<float> values = read_values(source, p);
  require_finite(values, name, "holds the non-finite value");
  // Round to the written dtype first: mlx_lm.convert casts before quantizing, and the
  // quantizer must see exactly the values a float copy of the model would hold.
  std::vector<std::byte> rounded(values.size() * dtype_size(p.dtype));
  convert_from_float(values, p.dtype, rounded);
  if (p.dtype != DType::F32) {
    convert_to_float(p.dtype, rounded, values);
    require_finite(values, name,
                   fmt::format("overflows {} (becomes", dtype_name(p.dtype)).c_str());
  }
  if (!p.decision.is_quantized()) {
    out.write(*tensors[0], rounded);
    return;
  }
  rounded = {};
  const auto cols = static_cast<std::size_t>(p.parameter.shape.back());
  const std::size_t rows = values.size() / cols;
  const quant::AffineFormat format{p.decision.bits, p.decision.group_size};
  std::vector<std::uint32_t> packed(rows * quant::packed_words_per_row(cols, format.bits));
  const std::size_t groups = values.size() / static_cast<std::size_t>(format.group_size);
  std::vector<float> scales(groups), biases(groups);
  quant::quantize_affine(values, rows, cols, format, p.dtype, packed, scales, biases);
  values = {};
  // Packed words are stored little-endian; swan targets little-endian hosts (x86-64, arm64).
  out.write(*tensors[0], as_bytes(packed));
  std::vector<std::byte> bytes(groups * dtype_size(p.dtype));
  convert_from_float(scales, p.dtype, bytes);
  out.write(*tensors[1], bytes);
  convert_from_float(biases, p.dtype, bytes);
  out.write(*tensors[2], bytes);
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
      write_parameter(source, layout, i, by_parameter[i], shards);
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
