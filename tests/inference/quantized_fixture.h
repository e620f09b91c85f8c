// Test/bench helper: writes an mlx_lm-style quantized copy of a small HF model (every
// Linear and the embedding quantized with quant::quantize_affine, scales/biases in the
// source dtype, config.json "quantization" with per-module overrides). Header-only so the
// benchmark can use it too. Small models only: everything is held in memory.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "swan/core/dtype.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors_writer.h"
#include "swan/quant/affine.h"

namespace swan::test {

// Module path -> format, or nullopt to keep the module float (written as `false`).
using QuantOverrides = std::map<std::string, std::optional<quant::AffineFormat>>;

inline void write_quantized_copy(const std::filesystem::path& source, const std::filesystem::path& destination,
                                 quant::AffineFormat global, const QuantOverrides& overrides = {}) {
  const ModelDirectory model(source);
  std::vector<TensorSpec> specs;
  std::vector<std::vector<std::byte>> blobs;
  auto add = [&](std::string name, DType dtype, std::vector<std::int64_t> shape, std::vector<std::byte> bytes) {
    specs.push_back({std::move(name), dtype, std::move(shape)});
    blobs.push_back(std::move(bytes));
  };
  for (const ModelTensor& tensor : model.tensors()) {
    const TensorInfo& info = *tensor.info;
    const std::string& name = info.name;
    const bool matrix = info.shape.size() == 2 && name.ends_with(".weight") &&
                        (name.ends_with("_proj.weight") || name == "model.embed_tokens.weight" || name == "lm_head.weight");
    const std::string path = name.substr(0, name.size() - std::string(".weight").size());
    const auto override_entry = overrides.find(path);
    const std::optional<quant::AffineFormat> format =
        !matrix ? std::nullopt : (override_entry != overrides.end() ? override_entry->second : std::optional(global));
    const auto data = model.file(tensor).data(info);
    if (!format) {
      add(name, info.dtype, info.shape, std::vector<std::byte>(data.begin(), data.end()));
      continue;
    }
    const auto rows = static_cast<std::size_t>(info.shape[0]);
    const auto cols = static_cast<std::size_t>(info.shape[1]);
    const std::vector<float> weights = model.read_float(tensor);
    const std::size_t words = quant::packed_words_per_row(cols, format->bits);
    const std::size_t groups = cols / static_cast<std::size_t>(format->group_size);
    std::vector<std::uint32_t> packed(rows * words);
    std::vector<float> scales(rows * groups), biases(rows * groups);
    quant::quantize_affine(weights, rows, cols, *format, info.dtype, packed, scales, biases);
    std::vector<std::byte> packed_bytes(packed.size() * 4);
    std::memcpy(packed_bytes.data(), packed.data(), packed_bytes.size());
    std::vector<std::byte> scale_bytes(scales.size() * dtype_size(info.dtype));
    std::vector<std::byte> bias_bytes(biases.size() * dtype_size(info.dtype));
    convert_from_float(scales, info.dtype, scale_bytes);
    convert_from_float(biases, info.dtype, bias_bytes);
    const auto r = static_cast<std::int64_t>(rows);
    add(name, DType::U32, {r, static_cast<std::int64_t>(words)}, std::move(packed_bytes));
    add(path + ".scales", info.dtype, {r, static_cast<std::int64_t>(groups)}, std::move(scale_bytes));
    add(path + ".biases", info.dtype, {r, static_cast<std::int64_t>(groups)}, std::move(bias_bytes));
  }
  std::filesystem::create_directories(destination);
  SafetensorsWriter writer(destination / "model.safetensors", specs, {{"format", "mlx"}});
  for (std::size_t i = 0; i < specs.size(); ++i) writer.write(specs[i].name, blobs[i]);
  writer.finish();

  nlohmann::ordered_json config = model.config();
  nlohmann::ordered_json quantization = {{"group_size", global.group_size}, {"bits", global.bits}, {"mode", "affine"}};
  for (const auto& [path, format] : overrides) {
    if (format) {
      quantization[path] = {{"group_size", format->group_size}, {"bits", format->bits}, {"mode", "affine"}};
    } else {
      quantization[path] = false;
    }
  }
  config["quantization"] = quantization;
  config["quantization_config"] = quantization;
  std::ofstream(destination / "config.json") << config.dump(4);
}

}  // namespace swan::test
