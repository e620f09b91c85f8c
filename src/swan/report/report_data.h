// What `swan report` shows, as plain data: the header facts, one row per tensor, the
// planner's frontier and the measured variants. collect.h fills it from whatever inputs the
// user has (model directory, manifest, plan, MLX output, eval results); html_page.h renders
// it. A section whose inputs are missing keeps an explanation instead of data, so the page
// says what is missing rather than drawing an empty or broken chart.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace swan::report {

struct ReportHeader {
  std::string model;         // the model's name (its directory)
  std::string architecture;  // config.json model_type
  std::optional<std::uint64_t> total_params;
  std::optional<std::uint64_t> original_bytes;  // the input checkpoint's tensor bytes
  std::optional<std::uint64_t> output_bytes;    // every tensor written: codes, scales, biases, floats
  std::optional<double> bits_per_weight;                // Σ params·bits / Σ params
  std::optional<double> bits_per_weight_with_overhead;  // 8 · output bytes / params
  std::string method;        // "budget", "swan", "uniform", ...
  std::string scales;        // "minmax" | "optimized"
  std::string budget;        // e.g. "4.5 bits/weight (3251712 bytes)"; empty when none
  std::string swan_version;  // of the swan that made the report
  std::string analysis_version;  // of the swan that made the manifest, when known
  std::string command;       // the exact command that made the output, when known
  std::string report_command;
  std::string timestamp;     // empty unless asked for (the page is otherwise deterministic)
};

// One quantizable tensor (a heatmap cell and a table row) or one other tensor (table only).
struct TensorRow {
  std::string name;          // as written (mlx_lm parameter name)
  std::optional<int> layer;  // "layers.N." in the name
  std::string module;        // heatmap column: the name without "model.layers.N." and ".weight"
  std::string role;          // model::role_name
  bool quantizable = false;  // a tensor the plan decides (heatmap cell)
  std::uint64_t params = 0;
  std::optional<std::uint64_t> bytes;
  int bits = 16;             // 16 (or 32) = kept float
  int group_size = 0;        // 0 when float
  std::optional<double> relative_error;  // ||W - Q(W)||² / ||W||² of the chosen option
  std::optional<double> composite_score;  // SWAN's (tensors made of one source tensor)
};

// One analysed tensor of the manifest: a SWAN metric against the error 4-bit quantization
// actually causes, to show whether the metric tracks it.
struct MetricPoint {
  std::string name;
  std::optional<double> composite_score;
  std::optional<double> kurtosis;
  double error_at_4bit = 0.0;
  int group_size = 0;
};

struct FrontierPoint {
  std::uint64_t bytes = 0;        // whole output
  double predicted_error = 0.0;   // Σ weight · relative error
};

struct Frontier {
  std::vector<FrontierPoint> points;         // ascending bytes, the planner's optimum at each
  std::optional<FrontierPoint> chosen;       // the plan being reported
  std::optional<std::uint64_t> budget_bytes;  // the budget it was made for
  std::uint64_t total_params = 0;
  std::string weights;                        // what the error is weighted by
};

struct EvalVariant {
  std::string label;  // from the file name
  std::string file;
  std::optional<double> bits_per_weight;  // with overhead, of the evaluated model
  std::optional<std::uint64_t> bytes;
  double kld_mean = 0.0, kld_stderr = 0.0;
  std::optional<double> kld_p99;
  std::optional<double> ppl, ppl_stderr;
  std::optional<double> top1, top1_stderr;  // percent
  std::optional<std::uint64_t> tokens_scored;
  bool on_chart = true;  // false: excluded (another model, other tokens, no size)
  std::string note;      // why it is excluded or flagged
  bool pareto = false;   // on the Pareto front of (bits/weight, KLD)
};

// Section ids used by the page (also the SVG ids the tests look for).
inline constexpr const char* kHeatmap = "heatmap";
inline constexpr const char* kBytesByModule = "bytes-by-module";
inline constexpr const char* kBitsHistogram = "bits-histogram";
inline constexpr const char* kFrontier = "frontier";
inline constexpr const char* kMetricScatter = "metric-scatter";
inline constexpr const char* kEvalPareto = "eval-pareto";

struct ReportData {
  ReportHeader header;
  std::vector<TensorRow> tensors;
  std::vector<MetricPoint> metric_points;
  std::optional<Frontier> frontier;
  std::vector<EvalVariant> variants;
  // section id -> why it cannot be drawn (or a caveat shown above it)
  std::map<std::string, std::string> missing;
  std::vector<std::string> warnings;  // shown at the top of the page
};

}  // namespace swan::report
