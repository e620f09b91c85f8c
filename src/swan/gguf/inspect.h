// `swan inspect FILE.gguf`: what a GGUF file holds (tensors with types, shapes, sizes,
// bits per weight; the main metadata) and every reason llama.cpp's loader would reject it
// for the llama / qwen2 / qwen3 architectures (spec §1.5, §3, §5): hyper-parameter keys
// missing or of the wrong type, the tokenizer arrays, the tensor set (each required tensor
// with its exact shape, no tensor the architecture does not create), and the checks
// llama-quantize's --check-tensors makes (finite float data and finite block scales).
// A file whose container does not parse is reported by the reader's error instead.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/gguf/reader.h"

namespace swan::gguf {

struct InspectedTensor {
  std::string name;
  std::vector<std::uint64_t> ne;
  std::string type;
  std::uint64_t elements = 0;
  std::uint64_t bytes = 0;
};

struct GgufReport {
  std::filesystem::path path;
  std::uint64_t file_bytes = 0;
  std::uint32_t version = 0;
  std::size_t metadata_keys = 0;
  std::string architecture, name, file_type;
  std::vector<InspectedTensor> tensors;
  std::uint64_t total_elements = 0, total_bytes = 0;
  std::uint64_t matrix_elements = 0, matrix_bytes = 0;  // tensors with 2 or more dimensions
  std::vector<std::string> violations;

  bool ok() const { return violations.empty(); }
};

GgufReport inspect_gguf(const std::filesystem::path& path);
std::string format_gguf_report(const GgufReport& report);
nlohmann::ordered_json to_json(const GgufReport& report);

// True when the file starts with the GGUF magic (a cheap test before parsing).
bool looks_like_gguf(const std::filesystem::path& path);

}  // namespace swan::gguf
