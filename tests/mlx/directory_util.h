// Test helpers for model directories: read every tensor of a directory's
// model*.safetensors files, compare files byte for byte, and write modified copies
// (hand-broken directories for the inspect tests).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "swan/io/model_directory.h"
#include "swan/io/safetensors.h"
#include "swan/io/safetensors_writer.h"

namespace swan::test {

struct StoredTensor {
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;
  std::string file;
};

inline std::map<std::string, StoredTensor> read_tensors(const std::filesystem::path& dir) {
  std::map<std::string, StoredTensor> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("model") || !name.ends_with(".safetensors")) continue;
    SafetensorsFile file(entry.path());
    for (const auto& t : file.tensors()) {
      const auto data = file.data(t);
      out[t.name] = {t.dtype, t.shape, {data.begin(), data.end()}, name};
    }
  }
  return out;
}

inline std::string read_file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Copies `src` to `dst` and rewrites its model.safetensors through `edit`, which may add,
// remove or change tensors.
inline void copy_with_edit(const std::filesystem::path& src, const std::filesystem::path& dst,
                           const std::function<void(std::map<std::string, StoredTensor>&)>& edit) {
  std::filesystem::create_directories(dst);
  for (const auto& entry : std::filesystem::directory_iterator(src))
    if (!entry.path().filename().string().ends_with(".safetensors"))
      std::filesystem::copy_file(entry.path(), dst / entry.path().filename());
  auto tensors = read_tensors(src);
  edit(tensors);
  std::vector<TensorSpec> specs;
  for (const auto& [name, t] : tensors) specs.push_back({name, t.dtype, t.shape});
  SafetensorsWriter writer(dst / "model.safetensors", specs, {{"format", "mlx"}});
  for (const auto& [name, t] : tensors) writer.write(name, t.data);
  writer.finish();
}

// Every file of `a` equals the file of the same name in `b`, and the names agree.
inline void expect_identical_directories(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::vector<std::string> names_a, names_b;
  for (const auto& e : std::filesystem::directory_iterator(a)) names_a.push_back(e.path().filename().string());
  for (const auto& e : std::filesystem::directory_iterator(b)) names_b.push_back(e.path().filename().string());
  std::sort(names_a.begin(), names_a.end());
  std::sort(names_b.begin(), names_b.end());
  ASSERT_EQ(names_a, names_b);
  for (const auto& name : names_a) EXPECT_TRUE(read_file_text(a / name) == read_file_text(b / name)) << name;
}

}  // namespace swan::test
