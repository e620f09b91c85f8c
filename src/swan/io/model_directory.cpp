#include "swan/io/model_directory.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <unordered_map>

#include "swan/core/error.h"

namespace swan {
namespace fs = std::filesystem;

namespace {

bool is_safetensors_file(const fs::directory_entry& entry) {
  return entry.is_regular_file() && entry.path().extension() == ".safetensors";
}

}  // namespace

ModelDirectory::ModelDirectory(const fs::path& directory) : path_(directory) {
  if (!fs::exists(directory)) fail("model directory {} does not exist", directory.string());
  if (!fs::is_directory(directory)) fail("{} is not a directory (expected a HuggingFace model directory)", directory.string());
  if (fs::exists(directory / "config.json")) {
    config_ = read_json_file(directory / "config.json");
    if (!config_->is_object()) fail("{}: config.json must be a JSON object", directory.string());
  }

  // Shard names and, with an index, the weight_map order of tensors per shard.
  std::vector<std::string> shard_names;
  std::unordered_map<std::string, std::vector<std::string>> index_order;  // shard -> tensor names
  const fs::path index_path = directory / "model.safetensors.index.json";
  if (fs::exists(index_path)) {
    has_index_ = true;
    const auto index = read_json_file(index_path);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      fail("{}: missing \"weight_map\" object", index_path.string());
    std::set<std::string> names;
    for (const auto& item : index["weight_map"].items()) {
      if (!item.value().is_string()) fail("{}: weight_map entry '{}' must be a file name", index_path.string(), item.key());
      const std::string shard = item.value().get<std::string>();
      if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
        fail("{}: weight_map entry '{}' points outside the directory ({})", index_path.string(), item.key(), shard);
      names.insert(shard);
      index_order[shard].push_back(item.key());
    }
    shard_names.assign(names.begin(), names.end());
  } else {
    for (const auto& entry : fs::directory_iterator(directory))
      if (is_safetensors_file(entry)) shard_names.push_back(entry.path().filename().string());
    std::sort(shard_names.begin(), shard_names.end());
  }
  if (shard_names.empty())
    fail("{}: no model weights found (expected model.safetensors, or shards listed by model.safetensors.index.json)",
         directory.string());

  shards_.reserve(shard_names.size());
  for (const auto& name : shard_names) {
    const fs::path shard_path = directory / name;
    if (!fs::exists(shard_path))
      fail("{}: shard {} is listed in model.safetensors.index.json but missing", directory.string(), name);
    shards_.emplace_back(shard_path);
  }

  std::set<std::string> seen;
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    const auto& shard = shards_[s];
    auto add = [&](const TensorInfo& info) {
      if (!seen.insert(info.name).second)
        fail("{}: tensor '{}' appears in more than one shard", directory.string(), info.name);
      tensors_.push_back({s, &info});
    };
    if (has_index_) {
      for (const auto& name : index_order[shard_names[s]]) {
        const TensorInfo* info = shard.find(name);
        if (info == nullptr)
          fail("{}: model.safetensors.index.json maps '{}' to {}, but that shard has no such tensor",
               directory.string(), name, shard_names[s]);
        add(*info);
      }
      for (const auto& info : shard.tensors())  // tensors the index forgot are still weights
        if (!seen.contains(info.name)) add(info);
    } else {
      for (const auto& info : shard.tensors()) add(info);
    }
  }
  name_index_.reserve(tensors_.size());
  for (std::size_t i = 0; i < tensors_.size(); ++i) name_index_.emplace(tensors_[i].name(), i);
}

const nlohmann::ordered_json& ModelDirectory::config() const {
  if (!config_) fail("{}: config.json is missing (needed to know the architecture)", path_.string());
  return *config_;
}

const std::string ModelDirectory::shard_name(std::size_t shard) const {
  return shards_.at(shard).path().filename().string();
}

const ModelTensor* ModelDirectory::find(std::string_view name) const {
  const auto it = name_index_.find(std::string(name));
  return it == name_index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<float> ModelDirectory::read_float(const ModelTensor& tensor) const {
  return file(tensor).read_float(*tensor.info);
}

void ModelDirectory::overlay(const fs::path& file) {
  SafetensorsFile replacement(file);
  for (const auto& info : replacement.tensors()) {
    const ModelTensor* t = find(info.name);
    if (t == nullptr) fail("{}: overlay {} has tensor '{}', which the model lacks", path_.string(), file.string(), info.name);
    if (t->info->dtype != info.dtype || t->info->shape != info.shape)
      fail("{}: overlay {} has tensor '{}' with another dtype or shape than the model's", path_.string(),
           file.string(), info.name);
  }
  // Moving a SafetensorsFile keeps its tensor list (and so every TensorInfo pointer) in place.
  shards_.push_back(std::move(replacement));
  const std::size_t shard = shards_.size() - 1;
  for (const auto& info : shards_.back().tensors()) tensors_[name_index_.at(info.name)] = {shard, &info};
}

std::uint64_t ModelDirectory::total_weight_bytes() const {
  std::uint64_t total = 0;
  for (const auto& tensor : tensors_) total += tensor.info->nbytes;
  return total;
}

}  // namespace swan
