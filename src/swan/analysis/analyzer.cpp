#include "swan/analysis/analyzer.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>

#include "swan/analysis/fingerprint.h"
#include "swan/analysis/input_importance.h"
#include "swan/analysis/tensor_analysis.h"
#include "swan/model/mlx_naming.h"
#include "swan/core/bounded_decimal.h"
#include "swan/core/error.h"

namespace swan::analysis {
namespace {

// Far above any real model, far below where count_layers' `index + 1` could overflow.
constexpr std::int64_t kMaxLayerIndex = 1'000'000;

// First "layers.<digits>" in the name, like Python's re.search(r"layers\.(\d+)").
std::optional<std::int64_t> layer_index(std::string_view name) {
  constexpr std::string_view key = "layers.";
  for (std::size_t at = name.find(key); at != std::string_view::npos; at = name.find(key, at + 1)) {
    const std::size_t begin = at + key.size();
    std::size_t end = begin;
    while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
    if (end == begin) continue;
    const auto value = parse_bounded_decimal(name.substr(begin, end - begin), kMaxLayerIndex);
    if (!value)
      fail("tensor '{}': layer number {} is out of range (at most {}); the checkpoint's tensor names are damaged", name,
           name.substr(begin, std::min<std::size_t>(end - begin, 32)), kMaxLayerIndex);
    return value;
  }
  return std::nullopt;
}

}  // namespace

std::int64_t count_layers(const ModelDirectory& model) {
  std::int64_t layers = 0;
  for (const auto& tensor : model.tensors())
    if (const auto index = layer_index(tensor.name())) layers = std::max(layers, *index + 1);
  return layers;
}

Manifest analyze_model(const ModelDirectory& model, const std::string& model_label, const AnalysisOptions& options,
                       const ProgressCallback& progress) {
  const auto start = std::chrono::steady_clock::now();
  const auto& tensors = model.tensors();
  const std::size_t count = tensors.size();

  AnalysisProgress state;
  state.tensors_total = count;
  for (const auto& t : tensors) state.bytes_total += t.info->nbytes;

  // Parallelism is across tensors; each BLAS call stays single-threaded so results do
  // not depend on how many threads run and the two levels do not oversubscribe cores.
  // The setting is process-wide, so it is put back for the layers that run after us.
  const int blas_threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  // Only optimized error curves need it (the tied embedding reads the final norm's weights).
  const bool tied = options.curve_scales == quant::ScaleMethod::optimized && model.has_config() &&
                    model::decide_output_head(model).tied;
  std::vector<ManifestTensor> entries(count);
  std::mutex progress_mutex;
  std::exception_ptr first_error;
  const int threads = std::max(1, options.threads);
  // One reused matrix buffer per thread: a fresh vector per tensor costs a page fault per
  // 4 KiB (~0.3 s of system time on a 0.5B model).
  std::vector<std::vector<float>> buffers(static_cast<std::size_t>(threads));

  // Largest tensors first so one big matrix does not start last and leave the other
  // threads idle; results land in their own slots, so the order is invisible.
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tensors[a].info->nbytes > tensors[b].info->nbytes; });

#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::size_t n = 0; n < count; ++n) {
    const std::size_t i = order[n];
    {
      std::lock_guard lock(progress_mutex);
      if (first_error) continue;
    }
    try {
      const ModelTensor& tensor = tensors[i];
      const TensorInfo& info = *tensor.info;
      std::vector<float>& buffer = buffers[static_cast<std::size_t>(omp_get_thread_num())];
      const MatrixReader reader = [&](const AnalysisLayout& layout) {
        read_analysis_matrix(model, tensor, layout, buffer);
        return std::span<const float>(buffer);
      };
      const BlockReader block_reader = [&](std::span<const std::int64_t> blocks) {
        read_matrix_blocks(model, tensor, blocks, buffer);
        return std::span<const float>(buffer);
      };
      // The writer's column weights for this tensor, so optimized curves measure its quantizer.
      const std::vector<float> column_weights =
          options.curve_scales == quant::ScaleMethod::optimized && needs_error_curve(info.shape, info.dtype, options)
              ? input_column_importance(model, info.name, static_cast<std::size_t>(info.shape.back()), tied)
              : std::vector<float>{};
      entries[i] = analyze_tensor(info.name, info.shape, info.dtype, reader, options, block_reader, column_weights);
      model.file(tensor).release(info);
      std::lock_guard lock(progress_mutex);
      ++state.tensors_done;
      state.bytes_done += info.nbytes;
      if (progress) progress(state);
    } catch (...) {
      std::lock_guard lock(progress_mutex);
      if (!first_error) first_error = std::current_exception();
    }
  }
  openblas_set_num_threads(blas_threads);
  if (first_error) std::rethrow_exception(first_error);

  Manifest manifest;
  manifest.model = model_label;
  manifest.config.thresholds = Thresholds::of(options.threshold_set);
  manifest.config.svd_rank = kSvdRank;
  manifest.total_layers = count_layers(model);
  manifest.total_tensors = static_cast<std::int64_t>(count);
  // One manifest shard per file, in the order SWAN processes them.
  for (std::size_t i = 0; i < count; ++i) {
    const std::string file = model.shard_name(tensors[i].shard);
    if (manifest.shards.empty() || manifest.shards.back().file != file) manifest.shards.push_back({file, {}});
    manifest.shards.back().tensors.push_back(std::move(entries[i]));
  }
  RunInfo run;
  run.swan_version = SWAN_VERSION;
  run.seed = options.seed;
  run.threshold_set = std::string(threshold_set_name(options.threshold_set));
  run.noise_metric = std::string(noise_metric_name(options.noise_metric));
  run.svd = std::string(svd_estimator_name(options.svd.estimator));
  run.score_protected = options.score_protected;
  run.fingerprint = fingerprint_model(model);
  manifest.run = std::move(run);
  const double seconds =
      options.record_time ? std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() : 0.0;
  manifest.summary = summarize(manifest.shards, seconds);
  return manifest;
}

}  // namespace swan::analysis
