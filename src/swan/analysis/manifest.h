// The analysis manifest: SWAN's per-tensor scores and bit decisions, in the reference's
// JSON layout (spec §6) so tools written for `smartquant` manifests read ours, plus
// swan's additions under their own keys:
//   top level: "swan_version", "seed", "threshold_set", "noise_metric", "svd", "score_protected",
//              "fingerprint": [{"file", "size", "header_fnv1a64"}] (one per shard);
//   per tensor: "raw" (the unnormalised metric values), "decision.group_size" (planner),
//              "error_curve" (bytes and reconstruction error of every quantization option,
//              see error_curve.h), present from manifest version 2 on ("swan_manifest_version").
// Name-protected tensors that were not scored (the default) carry no "scores" and no
// "composite_score"; 1-D and tiny tensors carry the reference's zero scores (tiny ones
// with its "cross_layer" key quirk).
// The reader accepts reference manifests and ours. Writing is atomic (temp + rename)
// and deterministic: nothing but "analysis_time_seconds" depends on the clock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/analysis/bit_decision.h"
#include "swan/analysis/classification.h"
#include "swan/analysis/error_curve.h"
#include "swan/analysis/scores.h"

namespace swan::analysis {

// Unnormalised metric values of an analysed tensor (swan addition, key "raw").
struct RawMetrics {
  std::vector<std::int64_t> analysis_shape;   // [rows, cols] of T
  std::vector<std::int64_t> expert_slices;    // 3-D tensors only
  std::optional<double> excess_kurtosis;      // empty: variance < 1e-12
  std::optional<double> nrmse;                // empty: rms < 1e-12
  double quantization_rmse = 0.0;             // 4-bit g128 RTN, padding included
  std::optional<double> concentration;        // the value scored; empty: energy < 1e-12
  // Exact ratio of the same definition ("exact_concentration"), when computed: equal to
  // concentration on the exact paths; beside the sketch estimate on the "sketch" path.
  std::optional<double> exact_concentration;
  // "exact" (n <= 512) | "exact_leading" (--svd exact) | "sketch" (the reference's estimator,
  // from the exact spectrum) | "sketch_matrix" (the same, run on the matrix) | "sketch_gram"
  // (the same, run on the smaller Gram matrix) | "skipped";
  // manifests before 0.3 also have "randomized" (swan's own oversampled sketch).
  std::string svd_method;
  std::int64_t singular_values = 0;           // values the concentration is taken over
  std::int64_t top_k = 0;
  double delta = 0.0;                         // output-noise relative change
  double weight_range = 0.0;                  // max(T) - min(T)
  double rms = 0.0;                           // ||T||_F / sqrt(numel)

  bool operator==(const RawMetrics&) const = default;
};

struct ManifestTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::string dtype;  // torch spelling, "torch.bfloat16"
  std::int64_t num_params = 0;
  TensorClass classification = TensorClass::default_tensor;
  std::optional<Scores> scores;
  std::optional<double> composite_score;
  BitDecision decision;
  std::optional<RawMetrics> raw;
  std::optional<ErrorCurve> error_curve;

  bool operator==(const ManifestTensor&) const = default;
};

struct ManifestShard {
  std::string file;
  std::vector<ManifestTensor> tensors;  // in SWAN processing order
  bool operator==(const ManifestShard&) const = default;
};

struct ManifestConfig {
  Thresholds thresholds;
  MetricWeights weights;
  std::int64_t svd_rank = 256;
};

struct BitsShare {
  std::int64_t params = 0;
  double percentage = 0.0;
  bool operator==(const BitsShare&) const = default;
};

struct ManifestSummary {
  std::int64_t total_params = 0;
  std::map<int, BitsShare> bits_distribution;  // always has 2, 4, 8, 16
  double estimated_size_gb = 0.0;
  double average_bits = 0.0;
  double analysis_time_seconds = 0.0;
  std::int64_t tensor_count = 0;
  bool operator==(const ManifestSummary&) const = default;
};

struct FileFingerprint {
  std::string file;
  std::uint64_t size = 0;
  std::string header_fnv1a64;  // 16 hex digits over the 8-byte length + JSON header
  bool operator==(const FileFingerprint&) const = default;
};

// swan's run parameters; absent in reference manifests.
// Version 2 added per-tensor error curves.
inline constexpr int kManifestVersion = 2;

struct RunInfo {
  int manifest_version = kManifestVersion;
  std::string swan_version;
  std::uint64_t seed = 0;
  std::string threshold_set;  // "cli" | "config"
  std::string noise_metric;   // "analytic" | "sampled"
  std::string svd;            // "sketch" | "exact" (--svd); empty in manifests written before it existed
  bool score_protected = false;
  std::vector<FileFingerprint> fingerprint;
  bool operator==(const RunInfo&) const = default;
};

struct Manifest {
  std::string model;
  ManifestConfig config;
  std::int64_t total_layers = 0;
  std::int64_t total_tensors = 0;
  std::vector<ManifestShard> shards;
  ManifestSummary summary;
  std::optional<RunInfo> run;

  const ManifestTensor* find(std::string_view name) const;
};

bool operator==(const ManifestConfig& a, const ManifestConfig& b);
bool operator==(const Manifest& a, const Manifest& b);

// Reference bookkeeping (spec §6): bits histogram by parameters, params-weighted average
// bits, and the size estimate (one fp16 scale per group: 8-bit g64, 4-bit g128, 2-bit g32).
ManifestSummary summarize(const std::vector<ManifestShard>& shards, double analysis_time_seconds);
double estimated_bytes(int bits, std::int64_t params);

nlohmann::ordered_json manifest_to_json(const Manifest& manifest);
// `label` names the source in error messages.
Manifest manifest_from_json(const nlohmann::ordered_json& json, const std::string& label);

std::string format_manifest(const Manifest& manifest);  // indent 2, trailing newline
void write_manifest(const Manifest& manifest, const std::filesystem::path& path);  // atomic
Manifest read_manifest(const std::filesystem::path& path);

}  // namespace swan::analysis
