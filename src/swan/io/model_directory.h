// A HuggingFace model directory: config.json (optional for analysis, required for
// conversion and inference) plus model.safetensors, or shards listed by
// model.safetensors.index.json, or shards without an index (all *.safetensors).
// All shards are memory-mapped and validated when the directory is opened.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/io/json_reader.h"  // read_json_file, which used to live here
#include "swan/io/safetensors.h"

namespace swan {

struct ModelTensor {
  std::size_t shard = 0;            // index into ModelDirectory::shards()
  const TensorInfo* info = nullptr;  // owned by the shard

  const std::string& name() const { return info->name; }
};

class ModelDirectory {
 public:
  explicit ModelDirectory(const std::filesystem::path& directory);

  const std::filesystem::path& path() const { return path_; }
  bool has_config() const { return config_.has_value(); }
  const nlohmann::ordered_json& config() const;  // throws if config.json is missing
  const std::vector<SafetensorsFile>& shards() const { return shards_; }
  const std::string shard_name(std::size_t shard) const;  // file name relative to the directory

  // Tensors in SWAN's processing order: shards in sorted file-name order; inside a
  // shard, the index's weight_map order (header order when there is no index).
  const std::vector<ModelTensor>& tensors() const { return tensors_; }
  const ModelTensor* find(std::string_view name) const;
  const SafetensorsFile& file(const ModelTensor& tensor) const { return shards_[tensor.shard]; }
  std::vector<float> read_float(const ModelTensor& tensor) const;

  std::uint64_t total_weight_bytes() const;
  bool has_index() const { return has_index_; }

  // Takes the data of every tensor in the safetensors file `file` from that file instead
  // (each must be a tensor here with the same dtype and shape); names, order, config and
  // path stay. How `--equalize` hands its rescaled tensors to every later step. The file
  // becomes the last shard and stays mapped, so it may be unlinked once this returns.
  void overlay(const std::filesystem::path& file);

 private:
  std::filesystem::path path_;
  std::optional<nlohmann::ordered_json> config_;
  std::vector<SafetensorsFile> shards_;
  std::vector<ModelTensor> tensors_;
  std::unordered_map<std::string, std::size_t> name_index_;
  bool has_index_ = false;
};


}  // namespace swan
