#include "swan/analysis/fingerprint.h"

#include <fmt/format.h>

#include <string>

#include "swan/analysis/random.h"

namespace swan::analysis {

FileFingerprint fingerprint_safetensors(const SafetensorsFile& file, const std::string& file_label) {
  const auto header = file.header_bytes();
  FileFingerprint fp;
  fp.file = file_label;
  fp.size = file.file_size();
  fp.header_fnv1a64 =
      fmt::format("{:016x}", fnv1a64(std::string_view(reinterpret_cast<const char*>(header.data()), header.size())));
  return fp;
}

std::vector<FileFingerprint> fingerprint_model(const ModelDirectory& model) {
  std::vector<FileFingerprint> files;
  for (std::size_t i = 0; i < model.shards().size(); ++i)
    files.push_back(fingerprint_safetensors(model.shards()[i], model.shard_name(i)));
  return files;
}

}  // namespace swan::analysis
