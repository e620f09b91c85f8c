#include "swan/analysis/fingerprint.h"

#include <fmt/format.h>

#include <fstream>
#include <string>

#include "swan/analysis/random.h"
#include "swan/core/error.h"

namespace swan::analysis {

FileFingerprint fingerprint_safetensors(const std::filesystem::path& path, const std::string& file_label) {
  FileFingerprint fp;
  fp.file = file_label;
  std::error_code ec;
  fp.size = std::filesystem::file_size(path, ec);
  if (ec) fail("cannot stat {} for the manifest fingerprint: {}", path.string(), ec.message());
  std::ifstream in(path, std::ios::binary);
  std::string prefix(8, '\0');
  if (!in.read(prefix.data(), 8)) fail("cannot read the safetensors header length of {}", path.string());
  std::uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | static_cast<unsigned char>(prefix[i]);
  if (header_length > fp.size - 8) fail("{}: safetensors header length {} exceeds the file size", path.string(), header_length);
  std::string header(header_length, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_length)))
    fail("cannot read the safetensors header of {}", path.string());
  fp.header_fnv1a64 = fmt::format("{:016x}", fnv1a64(header, fnv1a64(prefix)));
  return fp;
}

std::vector<FileFingerprint> fingerprint_model(const ModelDirectory& model) {
  std::vector<FileFingerprint> files;
  for (std::size_t i = 0; i < model.shards().size(); ++i)
    files.push_back(fingerprint_safetensors(model.shards()[i].path(), model.shard_name(i)));
  return files;
}

}  // namespace swan::analysis
