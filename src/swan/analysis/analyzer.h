// SWAN analysis of a whole model directory: every tensor in SWAN order through
// analyze_tensor, producing the manifest. Tensors are widened to float32 one at a time
// per worker (memory stays at ~threads x the largest analysed matrix) and their pages
// are released after use. Each tensor's random streams depend only on (seed, name), so
// the manifest is byte-identical for any thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "swan/analysis/manifest.h"
#include "swan/analysis/options.h"
#include "swan/io/model_directory.h"

namespace swan::analysis {

struct AnalysisProgress {
  std::size_t tensors_done = 0;
  std::size_t tensors_total = 0;
  std::uint64_t bytes_done = 0;   // stored bytes of finished tensors
  std::uint64_t bytes_total = 0;
};

// Called after each tensor, from worker threads but never concurrently.
using ProgressCallback = std::function<void(const AnalysisProgress&)>;

// 1 + the largest N of "layers.N" in any tensor name (0 if none), like the reference.
std::int64_t count_layers(const ModelDirectory& model);

// `model_label` is written to the manifest's "model" key (the reference stores the
// directory as given on the command line).
Manifest analyze_model(const ModelDirectory& model, const std::string& model_label, const AnalysisOptions& options,
                       const ProgressCallback& progress = {});

}  // namespace swan::analysis
