// A cheap fingerprint of a model's input files, stored in the manifest so a later step
// can tell whether the manifest still describes the checkpoint on disk: each shard's
// file name, size and a 64-bit FNV-1a hash of its safetensors header (length prefix +
// JSON). Hashing headers, not data, keeps this instant for 100 GB checkpoints while
// still catching re-exports, dtype changes and renamed tensors.
#pragma once

#include <filesystem>
#include <vector>

#include "swan/analysis/manifest.h"
#include "swan/io/model_directory.h"

namespace swan::analysis {

FileFingerprint fingerprint_safetensors(const SafetensorsFile& file, const std::string& file_label);
std::vector<FileFingerprint> fingerprint_model(const ModelDirectory& model);

}  // namespace swan::analysis
